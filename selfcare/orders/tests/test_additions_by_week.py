"""Numbers added by week (the dashboard's figure): summed from the applications, in Tokyo weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from selfcare.orders.selectors import additions_by_week
from selfcare.testing import at_tokyo, cancel_at_tokyo, issue_at_tokyo, pool_add

D = dt.date

# --- additions_by_week -------------------------------------------------------------------------------


@pytest.fixture
def additions(customer):
    """Numbers issued around Wednesday 2026-03-04, the 'today' of these tests."""
    with at_tokyo(D(2026, 1, 1)):
        pool_add("05000000000", 20)
    issue_at_tokyo(customer, D(2026, 2, 10), count=1)  # week of 02-09
    issue_at_tokyo(customer, D(2026, 2, 23), count=2, hour=9)  # Monday, week of 02-23
    issue_at_tokyo(customer, D(2026, 3, 1), count=1, hour=23, minute=30)  # Sunday night, week of 02-23
    issue_at_tokyo(customer, D(2026, 3, 2), count=4, hour=0, minute=30)  # Monday 00:30 Tokyo = Sunday in UTC
    issue_at_tokyo(customer, D(2026, 3, 4), count=1, hour=10)  # today


def test_given_additions_when_counting_by_week_then_tokyo_iso_weeks_with_zero_weeks(additions):
    with at_tokyo(D(2026, 3, 4), 18), CaptureQueriesContext(connection) as queries:
        weeks = additions_by_week(weeks=4)
    assert len(queries) == 1  # one read, whatever the number of weeks

    assert weeks == [(D(2026, 2, 9), 1), (D(2026, 2, 16), 0), (D(2026, 2, 23), 3), (D(2026, 3, 2), 5)]


def test_given_the_default_when_counting_by_week_then_twelve_weeks_ending_with_this_one(additions):
    with at_tokyo(D(2026, 3, 4), 18):
        weeks = additions_by_week()

    assert len(weeks) == 12
    assert weeks[0] == (D(2025, 12, 15), 0)
    assert weeks[-3:] == [(D(2026, 2, 16), 0), (D(2026, 2, 23), 3), (D(2026, 3, 2), 5)]
    assert sum(count for _, count in weeks) == 9
    assert all(monday.weekday() == 0 for monday, _ in weeks)


def test_given_older_additions_when_counting_by_week_then_they_are_outside_the_window(additions):
    with at_tokyo(D(2026, 3, 4), 18):
        assert additions_by_week(weeks=2) == [(D(2026, 2, 23), 3), (D(2026, 3, 2), 5)]
        assert additions_by_week(weeks=1) == [(D(2026, 3, 2), 5)]


def test_given_monday_half_past_midnight_tokyo_when_counting_by_week_then_a_new_week_has_begun(customer):
    with at_tokyo(D(2026, 1, 1)):
        pool_add("05000000000", 3)
    issue_at_tokyo(customer, D(2026, 3, 1), count=1, hour=23, minute=30)
    issue_at_tokyo(customer, D(2026, 3, 2), count=2, hour=0, minute=30)

    # Monday 00:45 in Tokyo is still Sunday in UTC.
    with at_tokyo(D(2026, 3, 2), 0, 45):
        assert additions_by_week(weeks=2) == [(D(2026, 2, 23), 1), (D(2026, 3, 2), 2)]


def test_given_cancelled_numbers_when_counting_by_week_then_they_still_count_as_added(customer):
    with at_tokyo(D(2026, 1, 1)):
        pool_add("05000000000", 3)
    numbers = issue_at_tokyo(customer, D(2026, 3, 2), count=3)
    cancel_at_tokyo(numbers[:2], D(2026, 3, 3))

    with at_tokyo(D(2026, 3, 4)):
        assert additions_by_week(weeks=1) == [(D(2026, 3, 2), 3)]


def test_given_a_week_across_new_year_when_counting_by_week_then_keyed_by_its_monday(customer):
    with at_tokyo(D(2025, 12, 1)):
        pool_add("05000000000", 3)
    issue_at_tokyo(customer, D(2025, 12, 29), count=1)
    issue_at_tokyo(customer, D(2026, 1, 1), count=2)

    with at_tokyo(D(2026, 1, 6)):
        assert additions_by_week(weeks=2) == [(D(2025, 12, 29), 3), (D(2026, 1, 5), 0)]


def test_given_no_weeks_when_counting_by_week_then_value_error(db):
    with pytest.raises(ValueError, match="weeks"):
        additions_by_week(weeks=0)
