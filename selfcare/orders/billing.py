"""The monthly billing export: one row per issued line held on any day of a calendar month.

rules.md, *monthly fee*: "each added number is billed at the customer's current plan's
per-number monthly fee". A line is held from the carrier's calendar date of
its issue (Asia/Tokyo, settings.TIME_ZONE) up to the day before its
cancellation takes effect (``cancelled_on`` is the first day no longer held);
a month held only in part is billed pro rata by calendar day, rounded down.
A number issued and cancelled with effect on the same day was held on no
calendar day and is not billed.

Two layouts of the same rows: for the billing system (UTF-8, numbers as their
11 digits), and for Excel in Japan (``excel=True``): a byte-order mark so
Excel reads the file as UTF-8 rather than Shift_JIS, and the number written
050-1234-5678, which Excel keeps as text with its leading 0 (it turns a bare
05012345678 into the number 5012345678). No cell becomes a formula for that:
the cells go through ``csv_writer`` like every other CSV.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Protocol

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from selfcare.audit.services import Actor, audit_record
from selfcare.core.csv_cells import csv_writer
from selfcare.inventory.models import format_number
from selfcare.orders.models import IssuedLine

# Rows fetched per round trip; on PostgreSQL, the size of each fetch from the server-side cursor.
CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class BillingRow:
    selfcare_id: str
    contract_name: str
    number: str
    plan_code: str
    monthly_fee_per_number: int
    held_from: dt.date
    held_until: dt.date
    days_held: int
    days_in_month: int
    amount: int
    """Yen: the fee times days held over days in the month, rounded down (the whole fee for a whole month)."""


CSV_HEADER = tuple(f.name for f in fields(BillingRow))
_csv_values = attrgetter(*CSV_HEADER)


class TextSink(Protocol):
    def write(self, s: str, /) -> object: ...


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar month containing ``month``."""
    days = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=days)


def billing_rows(*, month: dt.date) -> Iterator[BillingRow]:
    """Stream the billing rows of the calendar month containing ``month``, by self-care ID then number.

    One query, filtered and ordered in the database, read in chunks, so memory
    stays flat however many lines there are. On PostgreSQL, iterate inside a
    transaction (as ``billing_csv`` does) so the server-side cursor streams
    instead of being materialised whole at the first fetch.
    """
    first, last = month_bounds(month)
    carrier_tz = timezone.get_default_timezone()
    # Issued before the carrier's midnight that ends the month (the calendar's last month has none),
    # and not cancelled by its first day.
    issued = IssuedLine.objects.all()
    if last < dt.date.max:
        issued = issued.filter(
            issued_at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=carrier_tz)
        )
    lines = (
        issued.filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=first))
        # The carrier's calendar date of the issue, computed where the row is.
        .annotate(issued_on=TruncDate("issued_at", tzinfo=carrier_tz))
        .order_by("customer__user__username", "number_id")
        # values_list makes the same joins as select_related without building three model instances a row.
        .values_list(
            "customer__user__username",
            "customer__contract_name",
            "number_id",
            "customer__plan__code",
            "customer__plan__monthly_fee_per_number",
            "issued_on",
            "cancelled_on",
        )
    )
    days_in_month = last.day
    for selfcare_id, contract_name, number, plan_code, fee, issued_on, cancelled_on in lines.iterator(CHUNK_SIZE):
        held_from = max(issued_on, first)
        held_until = last if cancelled_on is None else min(cancelled_on - dt.timedelta(days=1), last)
        days_held = (held_until - held_from).days + 1
        if days_held <= 0:
            continue  # cancelled with effect on or before the day it was issued: never held
        yield BillingRow(
            selfcare_id=selfcare_id,
            contract_name=contract_name,
            number=number,
            plan_code=plan_code,
            monthly_fee_per_number=fee,
            held_from=held_from,
            held_until=held_until,
            days_held=days_held,
            days_in_month=days_in_month,
            amount=fee * days_held // days_in_month,
        )


EXCEL_BOM = "\ufeff"
_NUMBER_COLUMN = CSV_HEADER.index("number")

# The Excel layout is read by people: its header row in their words. The billing system's layout keeps
# CSV_HEADER, the field names its import reads.
EXCEL_HEADER: dict[str, Promise] = {
    "selfcare_id": pgettext_lazy("billing column", "Self-care ID"),
    "contract_name": pgettext_lazy("billing column", "Contract name"),
    "number": pgettext_lazy("billing column", "050 number"),
    "plan_code": pgettext_lazy("billing column", "Plan code"),
    "monthly_fee_per_number": pgettext_lazy("billing column", "Monthly fee per number (yen, tax included)"),
    "held_from": pgettext_lazy("billing column", "Held from"),
    "held_until": pgettext_lazy("billing column", "Held until"),
    "days_held": pgettext_lazy("billing column", "Days held"),
    "days_in_month": pgettext_lazy("billing column", "Days in the month"),
    "amount": pgettext_lazy("billing column", "Amount (yen, tax included)"),
}


def billing_csv(*, month: dt.date, stream: TextSink, excel: bool = False) -> int:
    """Write the month's billing rows as CSV (a header row first, dates as YYYY-MM-DD); returns the rows written.

    ``excel``: the layout for Excel (see the module's docstring): a BOM first, the header in the active
    language (Japanese by default), numbers as 050-1234-5678.
    Open a file ``stream`` with ``newline=""``: rows end in CRLF as RFC 4180 has it.
    """
    if excel:
        stream.write(EXCEL_BOM)
    writer = csv_writer(stream)
    writer.writerow([str(EXCEL_HEADER[name]) for name in CSV_HEADER] if excel else CSV_HEADER)
    written = 0
    with transaction.atomic():  # one snapshot, and a streaming cursor on PostgreSQL
        for row in billing_rows(month=month):
            values = list(_csv_values(row))
            if excel:
                values[_NUMBER_COLUMN] = format_number(row.number)
            writer.writerow(values)
            written += 1
    return written


def billing_export(*, month: dt.date, stream: TextSink, actor: Actor, excel: bool = False) -> int:
    """The billing export as staff and the ``export_billing`` command both make it: the CSV, then its audit entry.

    The entry is written once every row is out (an export that failed half-way is not on record as
    done) and says the month and the layout. Returns the rows written.
    """
    written = billing_csv(month=month, stream=stream, excel=excel)
    with transaction.atomic(durable=True):
        audit_record(
            actor=actor,
            action="billing.exported",
            target=f"{month:%Y-%m}",
            detail={"layout": "excel" if excel else "system"},
        )
    return written
