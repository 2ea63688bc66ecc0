"""Reads about the number pool for the back office: how many numbers, when quarantines end, whether it runs low.

Every figure is counted and grouped in the database, so each is one query
however many millions of numbers there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber


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
    """Moved to ``orders.selectors.additions_by_week`` (the pool's app does not read issued lines).

    Kept only for the back office's dashboard, which still asks here; it goes once the dashboard
    imports the orders selector.
    """
    from selfcare.orders.selectors import additions_by_week as from_orders

    return from_orders(weeks=weeks)


def pool_is_low(*, threshold: int) -> bool:
    """True when fewer than ``threshold`` numbers are issuable today (e.g. settings.SELFCARE_LOW_POOL_WARNING).

    Counts no further than ``threshold``, along the free-numbers index, so the
    check is cheap enough for every back-office page.
    """
    if threshold <= 0:
        return False
    return PhoneNumber.objects.issuable()[:threshold].count() < threshold
