"""Reads about issued lines for the staff screens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from selfcare.orders.errors import CancellationBeforeIssue, NothingToCancel, NumbersNotHeld
from selfcare.orders.models import IssuedLine


@dataclass(frozen=True)
class LineToCancel:
    number: str
    issued_on: dt.date
    application_number: str

    @property
    def display(self) -> str:
        from selfcare.inventory.models import format_number

        return format_number(self.number)


def cancellation_lines(*, customer_id: int, numbers: list[str], effective_on: dt.date) -> list[LineToCancel]:
    """The customer's lines a paper cancellation of ``numbers`` would end, by number; changes nothing.

    Raises what ``numbers_cancel`` would raise for the same form (NothingToCancel, NumbersNotHeld,
    CancellationBeforeIssue), so staff confirm only what can be recorded; the service checks it all
    again under its locks.
    """
    wanted = sorted(set(numbers))
    if not wanted:
        raise NothingToCancel()
    lines = list(
        IssuedLine.objects.not_cancelled()
        .filter(customer_id=customer_id, number_id__in=wanted)
        .select_related("application")
        .order_by("number_id")
    )
    held = {line.number_id for line in lines}
    if held != set(wanted):
        raise NumbersNotHeld(numbers=", ".join(n for n in wanted if n not in held))
    rows = [
        LineToCancel(
            number=line.number_id,
            issued_on=timezone.localdate(line.issued_at),
            application_number=line.application.application_number,
        )
        for line in lines
    ]
    for row in rows:
        if effective_on < row.issued_on:
            raise CancellationBeforeIssue(number=row.number, issued_on=row.issued_on.isoformat())
    return rows


@dataclass(frozen=True)
class ApplicationCount:
    applications: int
    numbers: int


def applications_since(*, since: dt.datetime) -> ApplicationCount:
    """Applications placed from ``since`` on and the numbers they added: one range read of the placed_at index."""
    from django.db.models import Count, Sum

    from selfcare.orders.models import Application

    totals = Application.objects.filter(placed_at__gte=since).aggregate(applications=Count("pk"), numbers=Sum("count"))
    return ApplicationCount(applications=totals["applications"], numbers=totals["numbers"] or 0)
