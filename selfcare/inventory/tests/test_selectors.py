"""Back-office figures about the pool: counts, quarantine releases by month, the low-pool check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from selfcare.inventory.selectors import (
    PoolSummary,
    pool_is_low,
    pool_summary,
    quarantine_releases_by_month,
)
from selfcare.testing import at_tokyo, cancel_at_tokyo, issue_at_tokyo, pool_add

D = dt.date


def one_grouped_query(call):
    """Run ``call``; check it asked the database exactly once, grouping there."""
    with CaptureQueriesContext(connection) as queries:
        result = call()
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "GROUP BY" in queries[0]["sql"].upper()
    return result


# --- pool_summary ------------------------------------------------------------------------------------


def test_given_an_empty_pool_when_summarising_then_all_zero(db):
    with at_tokyo(D(2026, 3, 15)):
        assert pool_summary() == PoolSummary(free_now=0, in_quarantine=0, assigned=0, total=0)


def test_given_imports_additions_and_cancellations_when_summarising_then_each_state_counted(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 10)
        pool_add("05000000100", 5, available_from=D(2026, 6, 1))  # imported for later
    with at_tokyo(D(2026, 3, 15)):
        assert pool_summary() == PoolSummary(free_now=10, in_quarantine=5, assigned=0, total=15)

    numbers = issue_at_tokyo(customer, D(2026, 3, 15), count=3)
    with at_tokyo(D(2026, 3, 15)):
        assert pool_summary() == PoolSummary(free_now=7, in_quarantine=5, assigned=3, total=15)

    cancel_at_tokyo(numbers[:1], effective_on=D(2026, 3, 20))
    with at_tokyo(D(2026, 3, 20)):
        assert pool_summary() == PoolSummary(free_now=7, in_quarantine=6, assigned=2, total=15)

    # Out of quarantine on the first day of the seventh month; the later import is available too.
    with at_tokyo(D(2026, 9, 20)):
        assert pool_summary() == PoolSummary(free_now=13, in_quarantine=0, assigned=2, total=15)
    with at_tokyo(D(2026, 9, 19)):
        assert pool_summary() == PoolSummary(free_now=12, in_quarantine=1, assigned=2, total=15)


def test_given_a_pool_when_summarising_then_one_query(db, django_assert_num_queries):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 4)

    with at_tokyo(D(2026, 3, 1)), django_assert_num_queries(1):
        assert pool_summary().total == 4


# --- quarantine_releases_by_month --------------------------------------------------------------------


@pytest.fixture
def quarantined(customer):
    """Six numbers issued on 2025-09-01, five of them cancelled with effect on various days."""
    with at_tokyo(D(2025, 9, 1)):
        pool_add("05000000000", 6)
    numbers = issue_at_tokyo(customer, D(2025, 9, 1), count=6)
    cancel_at_tokyo([numbers[0]], D(2025, 9, 15))  # free from 2026-03-15
    cancel_at_tokyo([numbers[1]], D(2025, 9, 20))  # free from 2026-03-20
    cancel_at_tokyo([numbers[2]], D(2025, 10, 31))  # free from 2026-04-30
    cancel_at_tokyo([numbers[3]], D(2025, 12, 31))  # free from 2026-06-30
    cancel_at_tokyo([numbers[4]], D(2026, 3, 10))  # free from 2026-09-10
    return numbers


def months_from(first: dt.date, counts: list[int]) -> list[tuple[dt.date, int]]:
    result = []
    year, month = first.year, first.month
    for count in counts:
        result.append((D(year, month, 1), count))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def test_given_cancellations_when_listing_releases_then_per_month_from_this_one_with_zero_months(quarantined):
    with at_tokyo(D(2026, 3, 15)):
        releases = one_grouped_query(quarantine_releases_by_month)

    # 2026-03-15's number is issuable today: no longer in quarantine.
    assert releases == months_from(D(2026, 3, 1), [1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0])


def test_given_fewer_months_when_listing_releases_then_later_ones_are_left_out(quarantined):
    with at_tokyo(D(2026, 3, 15)):
        assert quarantine_releases_by_month(months=6) == months_from(D(2026, 3, 1), [1, 1, 0, 1, 0, 0])
        assert quarantine_releases_by_month(months=1) == [(D(2026, 3, 1), 1)]


def test_given_a_year_end_when_listing_releases_then_the_months_run_into_the_next_year(quarantined):
    with at_tokyo(D(2026, 5, 2)):
        releases = quarantine_releases_by_month(months=10)

    assert releases == months_from(D(2026, 5, 1), [0, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    assert releases[-1][0] == D(2027, 2, 1)


def test_given_just_after_midnight_tokyo_when_listing_releases_then_the_tokyo_month_comes_first(customer):
    with at_tokyo(D(2025, 8, 1)):
        pool_add("05000000000", 2)
    numbers = issue_at_tokyo(customer, D(2025, 8, 1), count=2)
    cancel_at_tokyo([numbers[0]], D(2025, 9, 1))  # free from 2026-03-01
    cancel_at_tokyo([numbers[1]], D(2025, 9, 2))  # free from 2026-03-02

    # 2026-03-01 00:30 in Tokyo is still 2026-02-28 in UTC.
    with at_tokyo(D(2026, 3, 1), 0, 30):
        releases = quarantine_releases_by_month(months=2)

    assert releases == [(D(2026, 3, 1), 1), (D(2026, 4, 1), 0)]


def test_given_nothing_in_quarantine_when_listing_releases_then_twelve_zero_months(db):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 3)

    with at_tokyo(D(2026, 12, 31)):
        assert quarantine_releases_by_month() == months_from(D(2026, 12, 1), [0] * 12)


def test_given_no_months_when_listing_releases_then_value_error(db):
    with pytest.raises(ValueError, match="months"):
        quarantine_releases_by_month(months=0)


# --- pool_is_low -------------------------------------------------------------------------------------


def test_given_issuable_numbers_when_checking_the_pool_then_low_only_below_the_threshold(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 5)
        pool_add("05000000100", 3, available_from=D(2026, 9, 1))  # not issuable yet: does not count

    with at_tokyo(D(2026, 3, 2)):
        assert pool_is_low(threshold=5) is False
        assert pool_is_low(threshold=6) is True
        assert pool_is_low(threshold=1) is False

    issue_at_tokyo(customer, D(2026, 3, 2), count=1)
    with at_tokyo(D(2026, 3, 2)):
        assert pool_is_low(threshold=5) is True
        assert pool_is_low(threshold=4) is False


def test_given_a_threshold_of_zero_when_checking_an_empty_pool_then_not_low(db):
    with at_tokyo(D(2026, 3, 2)):
        assert pool_is_low(threshold=0) is False
        assert pool_is_low(threshold=1) is True
