"""Reads about applications and issued lines: the customer's own (portal) and the staff screens'."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from selfcare.core import clock
from selfcare.inventory.models import format_number
from selfcare.orders.errors import (
    CancellationBeforeIssue,
    FormReceivedBeforeIssue,
    LineNotFound,
    LineNotLive,
    NothingToCancel,
    NumbersNotHeld,
    ReissueOfSeveralCustomers,
    ReissueTooMany,
)
from selfcare.orders.models import Application, IssuedLine


@dataclass(frozen=True)
class LineToCancel:
    number: str
    issued_on: dt.date
    application_number: str

    @property
    def display(self) -> str:
        from selfcare.inventory.models import format_number

        return format_number(self.number)


def cancellation_lines(
    *, customer_id: int, numbers: list[str], effective_on: dt.date, received_on: dt.date | None = None
) -> list[LineToCancel]:
    """The customer's lines a paper cancellation of ``numbers`` would end, by number; changes nothing.

    Raises what ``numbers_cancel`` would raise for the same form (NothingToCancel, NumbersNotHeld,
    FormReceivedBeforeIssue, CancellationBeforeIssue), so staff confirm only what can be recorded; the
    service checks it all again under its locks.
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
        if received_on is not None and received_on < row.issued_on:
            raise FormReceivedBeforeIssue(
                number=format_number(row.number),
                issued_on=row.issued_on.isoformat(),
                received_on=received_on.isoformat(),
            )
    for row in rows:
        if effective_on < row.issued_on:
            raise CancellationBeforeIssue(number=row.number, issued_on=row.issued_on.isoformat())
    return rows


SIP_REISSUE_MAX_LINES = 10
"""The most lines whose IP phone passwords staff reissue at once (one customer's, one confirmation)."""


@dataclass(frozen=True)
class LineToReissue:
    line_id: int
    number: str
    customer_id: int
    customer_label: str
    """The customer's self-care ID and contract name."""
    application_number: str

    @property
    def display(self) -> str:
        return format_number(self.number)


def sip_reissue_lines(*, line_ids: list[int]) -> list[LineToReissue]:
    """The lines a staff reissue of ``line_ids`` would change, by number; changes nothing.

    Raises what ``sip_passwords_reissue`` would raise (ReissueTooMany, ReissueOfSeveralCustomers,
    LineNotFound, LineNotLive), so staff confirm only what can be done; the service checks the
    lines' state again under its lock.
    """
    wanted = sorted(set(line_ids))
    if not wanted:
        raise LineNotFound(line_id="-")
    if len(wanted) > SIP_REISSUE_MAX_LINES:
        raise ReissueTooMany(maximum=SIP_REISSUE_MAX_LINES, count=len(wanted))
    lines = list(
        IssuedLine.objects.filter(pk__in=wanted).select_related("customer__user", "application").order_by("number_id")
    )
    missing = set(wanted) - {line.pk for line in lines}
    if missing:
        raise LineNotFound(line_id=min(missing))
    customers = {line.customer_id: line.customer for line in lines}
    if len(customers) > 1:
        names = ", ".join(customer.selfcare_id for customer in customers.values())
        raise ReissueOfSeveralCustomers(count=len(customers), customers=names)
    today = clock.today()
    for line in lines:
        if line.cancelled_on is not None and line.cancelled_on <= today:
            raise LineNotLive(number=format_number(line.number_id), cancelled_on=line.cancelled_on.isoformat())
    return [
        LineToReissue(
            line_id=line.pk,
            number=line.number_id,
            customer_id=line.customer_id,
            customer_label=f"{line.customer.selfcare_id} {line.customer.contract_name}",
            application_number=line.application.application_number,
        )
        for line in lines
    ]


@dataclass(frozen=True)
class ApplicationCount:
    applications: int
    numbers: int


def applications_since(*, since: dt.datetime) -> ApplicationCount:
    """Applications placed from ``since`` on and the numbers they added: one range read of the placed_at index."""
    from django.db.models import Sum

    from selfcare.orders.models import Application

    totals = Application.objects.filter(placed_at__gte=since).aggregate(applications=Count("pk"), numbers=Sum("count"))
    return ApplicationCount(applications=totals["applications"], numbers=totals["numbers"] or 0)


def cancellations_pending_count(*, today: dt.date) -> int:
    """Numbers whose paper cancellation is recorded but not yet in effect: still held (and registered) until
    that day, though the pool already counts them free from the end of their quarantine. Their lines keep
    the registrar's digests until then, so the partial index of such lines serves this count."""
    return IssuedLine.objects.filter(cancelled_on__gt=today, sip_ha1__isnull=False).count()


def additions_by_week(*, weeks: int = 12) -> list[tuple[dt.date, int]]:
    """Numbers issued in each of the last ``weeks`` ISO weeks (the carrier's), the current one last, keyed by
    their Monday; cancelled since or not. Read from the day counts the applications write
    (``inventory.tally.issued_by_week``), not from the applications themselves."""
    from selfcare.inventory.tally import issued_by_week

    return issued_by_week(weeks=weeks)


# The customer's own (invariant 7: every read is filtered by the customer) ---------------------------


def lines_of_customer(*, customer_id: int) -> QuerySet[IssuedLine]:
    """Every line the customer holds or held, by number (a number held twice: latest first), with its application."""
    return (
        IssuedLine.objects.filter(customer_id=customer_id)
        .select_related("application")
        .order_by("number_id", "-issued_at")
    )


def applications_of_customer(*, customer_id: int) -> QuerySet[Application]:
    """The customer's applications, latest first."""
    return Application.objects.filter(customer_id=customer_id)


def application_by_idempotency_key(*, customer_id: int, idempotency_key: str) -> Application | None:
    """The application a confirmation (its idempotency key) has already placed, if any."""
    return Application.objects.filter(customer_id=customer_id, idempotency_key=idempotency_key).first()


@dataclass(frozen=True)
class LineStatus:
    """A number's state as the customer reads it, the same on every page: in use, in use until a received
    cancellation takes effect, or cancelled (from its effective day on; no password is shown then)."""

    cancelled_on: dt.date | None
    today: dt.date

    @property
    def in_use(self) -> bool:
        return self.cancelled_on is None

    @property
    def cancelling(self) -> bool:
        return self.cancelled_on is not None and self.cancelled_on > self.today

    @property
    def cancelled(self) -> bool:
        return self.cancelled_on is not None and self.cancelled_on <= self.today

    @property
    def last_day_in_use(self) -> dt.date | None:
        """The day before the cancellation takes effect: the registrar refuses the number, and billing
        stops, from the effective day itself."""
        return self.cancelled_on - dt.timedelta(days=1) if self.cancelled_on is not None else None


@dataclass(frozen=True)
class NumberRow:
    number: str
    """050-1234-5678."""
    issued_on: dt.date
    application_number: str
    status: LineStatus


def number_rows(*, lines: Iterable[IssuedLine]) -> list[NumberRow]:
    """The numbers list's rows for lines read by ``lines_of_customer`` (no further query)."""
    today = clock.today()
    return [
        NumberRow(
            number=format_number(line.number_id),
            issued_on=timezone.localdate(line.issued_at),
            application_number=line.application.application_number,
            status=LineStatus(cancelled_on=line.cancelled_on, today=today),
        )
        for line in lines
    ]


def passwords_shown(*, placed_at: dt.datetime) -> bool:
    """The completion page shows an application's passwords for SELFCARE_SHOW_PASSWORDS_MINUTES after it is placed."""
    return (clock.now() - placed_at).total_seconds() <= settings.SELFCARE_SHOW_PASSWORDS_MINUTES * 60


@dataclass(frozen=True)
class LineShown:
    number: str
    """050-1234-5678."""
    service_pin: str | None
    """Clear, only while the passwords are shown and the number is not cancelled."""
    sip_password: str | None
    """The password issued with the application; None once it was reissued (that one is shown once, by the reissue)."""
    status: LineStatus
    sip_password_reissued: bool = False


@dataclass(frozen=True)
class ApplicationShown:
    application: Application
    lines: list[LineShown]
    passwords_shown: bool
    window_minutes: int

    @property
    def shown_until(self) -> dt.datetime:
        """When the completion page stops showing the passwords."""
        return self.application.placed_at + dt.timedelta(minutes=self.window_minutes)

    @property
    def any_cancellation(self) -> bool:
        return any(not line.status.in_use for line in self.lines)


def application_of_customer(*, customer_id: int, application_number: str) -> ApplicationShown | None:
    """One of the customer's applications with its lines (two queries).

    Passwords are decrypted only inside the display window, and never for a cancelled number; the IP
    phone password of a line reissued since is not the application's to show (only the reissue shows it).
    """
    application = Application.objects.filter(customer_id=customer_id, application_number=application_number).first()
    if application is None:
        return None
    shown = passwords_shown(placed_at=application.placed_at)
    today = clock.today()
    lines = []
    for line in application.lines.order_by("number_id"):
        status = LineStatus(cancelled_on=line.cancelled_on, today=today)
        secret = shown and not status.cancelled  # a cancelled number's passwords are never shown
        reissued = line.sip_password_reissued_at is not None
        lines.append(
            LineShown(
                number=format_number(line.number_id),
                service_pin=line.service_pin() if secret else None,
                sip_password=line.sip_password() if secret and not reissued else None,
                status=status,
                sip_password_reissued=reissued,
            )
        )
    return ApplicationShown(
        application=application,
        lines=lines,
        passwords_shown=shown,
        window_minutes=settings.SELFCARE_SHOW_PASSWORDS_MINUTES,
    )


# The business API and the portal's self-service reissue ------------------------------------------


def line_of_customer(*, customer_id: int, number: str) -> IssuedLine | None:
    """The customer's latest line of ``number`` (held now, or held before), or None."""
    return (
        IssuedLine.objects.filter(customer_id=customer_id, number_id=number)
        .select_related("application")
        .order_by("-issued_at")
        .first()
    )


def reissued_password_shown(*, customer_id: int, number: str, reissued_at: dt.datetime) -> str | None:
    """The IP phone password a reissue at ``reissued_at`` gave, while its display window lasts.

    None once SELFCARE_SHOW_PASSWORDS_MINUTES have passed, when the password was reissued again since,
    or when the number's cancellation has taken effect: a repeat of the reissue's request then answers
    without it.
    """
    line = line_of_customer(customer_id=customer_id, number=number)
    if line is None or line.sip_password_reissued_at != reissued_at or not passwords_shown(placed_at=reissued_at):
        return None
    if LineStatus(cancelled_on=line.cancelled_on, today=clock.today()).cancelled:
        return None
    return line.sip_password()


def password_window_end(*, since: dt.datetime) -> dt.datetime:
    """When passwords shown from ``since`` on are masked (SELFCARE_SHOW_PASSWORDS_MINUTES later)."""
    return since + dt.timedelta(minutes=settings.SELFCARE_SHOW_PASSWORDS_MINUTES)
