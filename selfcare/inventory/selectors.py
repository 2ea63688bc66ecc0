"""Reads about the number pool for the back office: how many numbers, when quarantines end, whether it runs low.

The counts by state come from the pool tally (inventory.tally), a small table summed in one query; the
low-pool check counts along the free numbers' index up to its threshold. Neither reads the numbers table
whole, however many millions of numbers there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.inventory.tally import HELD, pool_tally


@dataclass(frozen=True)
class PoolSummary:
    free_now: int
    """Free and issuable today."""
    in_quarantine: int
    """Free but not issuable before a later date (cancelled numbers waiting, or imported for later)."""
    assigned: int
    total: int


def pool_summary() -> PoolSummary:
    """From the pool tally (one grouped read of a small table), not by counting the numbers table."""
    today = clock.today()
    tally = pool_tally()
    held = tally.pop(HELD, 0)
    free_now = sum(n for day, n in tally.items() if day is not None and day <= today)
    in_quarantine = sum(n for day, n in tally.items() if day is not None and day > today)
    return PoolSummary(
        free_now=free_now, in_quarantine=in_quarantine, assigned=held, total=held + free_now + in_quarantine
    )


def quarantine_releases_by_month(*, months: int = 12) -> list[tuple[dt.date, int]]:
    """How many numbers now in quarantine become issuable in each of the next ``months`` calendar months.

    The first entry is the current month (releases later this month); each month
    is keyed by its first day, and months without releases are listed with 0.
    From the pool tally, like ``pool_summary``.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    today = clock.today()
    first = today.replace(day=1)
    starts = [clock.add_months(first, i) for i in range(months)]
    end = clock.add_months(first, months)
    released: dict[dt.date, int] = {}
    for day, n in pool_tally().items():
        if day is not None and today < day < end:
            month = day.replace(day=1)
            released[month] = released.get(month, 0) + n
    return [(start, released.get(start, 0)) for start in starts]


def pool_is_low(*, threshold: int) -> bool:
    """True when fewer than ``threshold`` numbers are issuable today (e.g. settings.SELFCARE_LOW_POOL_WARNING).

    Counts no further than ``threshold``, along the free-numbers index, so the
    check is cheap enough for every back-office page.
    """
    if threshold <= 0:
        return False
    return PhoneNumber.objects.issuable()[:threshold].count() < threshold
