"""Reads about the number pool for the back office: how many numbers, when quarantines end, how fast numbers go.

Every figure is counted and grouped in the database, so each is one query
however many millions of numbers there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.models import IssuedLine


@dataclass(frozen=True)
class PoolSummary:
    free_now: int
    """Free and issuable today."""
    in_quarantine: int
    """Free but not issuable before a later date (cancelled numbers waiting, or imported for later)."""
    assigned: int
    total: int


def pool_summary() -> PoolSummary:
    today = clock.today()
    free = Q(status=PhoneNumber.Status.FREE)
    counts = PhoneNumber.objects.aggregate(
        free_now=Count("pk", filter=free & Q(available_from__lte=today)),
        in_quarantine=Count("pk", filter=free & Q(available_from__gt=today)),
        assigned=Count("pk", filter=Q(status=PhoneNumber.Status.ASSIGNED)),
        total=Count("pk"),
    )
    return PoolSummary(**counts)


def quarantine_releases_by_month(*, months: int = 12) -> list[tuple[dt.date, int]]:
    """How many numbers now in quarantine become issuable in each of the next ``months`` calendar months.

    The first entry is the current month (releases later this month); each month
    is keyed by its first day, and months without releases are listed with 0.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    first = clock.today().replace(day=1)
    starts = [clock.add_months(first, i) for i in range(months)]
    released = dict(
        PhoneNumber.objects.in_quarantine()
        .filter(available_from__lt=clock.add_months(first, months))
        .annotate(month=TruncMonth("available_from"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("month")
        .values_list("month", "count")
    )
    return [(start, released.get(start, 0)) for start in starts]


def additions_by_week(*, weeks: int = 12) -> list[tuple[dt.date, int]]:
    """Numbers issued in each of the last ``weeks`` ISO weeks, the current one last, keyed by their Monday.

    Weeks are the carrier's (settings.TIME_ZONE): a number issued on Monday 00:30
    in Tokyo counts in that week although it is still Sunday in UTC. Weeks
    without additions are listed with 0. Lines cancelled since still count: they
    were added.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    carrier_tz = timezone.get_default_timezone()
    today = clock.today()
    this_monday = today - dt.timedelta(days=today.weekday())
    mondays = [this_monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    window_start = dt.datetime.combine(mondays[0], dt.time.min, tzinfo=carrier_tz)
    window_end = dt.datetime.combine(this_monday + dt.timedelta(weeks=1), dt.time.min, tzinfo=carrier_tz)
    rows = (
        IssuedLine.objects.filter(issued_at__gte=window_start, issued_at__lt=window_end)
        .annotate(week=TruncWeek("issued_at", tzinfo=carrier_tz))
        .values("week")
        .annotate(count=Count("pk"))
        .order_by("week")
        .values_list("week", "count")
    )
    added = {timezone.localtime(week, carrier_tz).date(): count for week, count in rows}
    return [(monday, added.get(monday, 0)) for monday in mondays]


def pool_is_low(*, threshold: int) -> bool:
    """True when fewer than ``threshold`` numbers are issuable today (e.g. settings.SELFCARE_LOW_POOL_WARNING).

    Counts no further than ``threshold``, along the free-numbers index, so the
    check is cheap enough for every back-office page.
    """
    if threshold <= 0:
        return False
    return PhoneNumber.objects.issuable()[:threshold].count() < threshold
