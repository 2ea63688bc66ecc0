"""The numbers issued by day (``IssueCount``): written in the application's transaction on its day in Tokyo,
summed by the daily compaction, read by the dashboard's numbers added by week, and checked against the
applications by check_invariants."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from selfcare.inventory.models import IssueCount
from selfcare.inventory.tally import issued_by_week, pool_tally_compact
from selfcare.orders.errors import PoolShort
from selfcare.orders.invariants import ISSUE_COUNT, invariants_check
from selfcare.orders.models import Application
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, at_tokyo, issue_at_tokyo, pool_add

D = dt.date


def counts() -> dict[dt.date, int]:
    sums: dict[dt.date, int] = {}
    for row in IssueCount.objects.all():
        sums[row.day] = sums.get(row.day, 0) + row.numbers
    return sums


def issue_check():
    [result] = [r for r in invariants_check() if r.description == ISSUE_COUNT]
    return result


def test_an_application_counts_its_numbers_on_its_day_in_tokyo(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 10)
    issue_at_tokyo(customer, D(2026, 3, 2), count=3, hour=0, minute=30)  # Monday 00:30 in Tokyo, Sunday in UTC
    issue_at_tokyo(customer, D(2026, 3, 2), count=2, hour=23)
    assert counts() == {D(2026, 3, 2): 5}
    assert IssueCount.objects.count() == 2  # a row per application, until compacted
    assert issue_check().ok


def test_a_refused_application_counts_nothing(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 2)
        with pytest.raises(PoolShort):
            numbers_add(customer_id=customer.pk, count=3, idempotency_key="too-many", actor=TEST_ACTOR)
    assert counts() == {}


def test_compaction_sums_them_into_a_row_a_day(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 20)
    for day, hour in ((2, 9), (2, 15), (3, 9), (3, 10), (3, 11)):
        issue_at_tokyo(customer, D(2026, 3, day), count=2, hour=hour)
    before = counts()
    assert IssueCount.objects.count() == 5

    pool_tally_compact()

    assert counts() == before == {D(2026, 3, 2): 4, D(2026, 3, 3): 6}
    assert IssueCount.objects.count() == 2
    assert issue_check().ok


def test_numbers_added_by_week_read_the_day_counts_not_the_applications(customer):
    with at_tokyo(D(2026, 1, 1)):
        pool_add("05000000000", 10)
    issue_at_tokyo(customer, D(2026, 2, 23), count=2)
    issue_at_tokyo(customer, D(2026, 3, 2), count=3)
    with at_tokyo(D(2026, 3, 4), 18), CaptureQueriesContext(connection) as queries:
        weeks = issued_by_week(weeks=2)
    assert weeks == [(D(2026, 2, 23), 2), (D(2026, 3, 2), 3)]
    [query] = queries.captured_queries
    assert IssueCount._meta.db_table in query["sql"] and Application._meta.db_table not in query["sql"]


def test_check_invariants_catches_day_counts_that_disagree_with_the_applications(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 10)
    issue_at_tokyo(customer, D(2026, 3, 2), count=3)
    IssueCount.objects.create(day=D(2026, 3, 5), numbers=1)  # a day without applications
    IssueCount.objects.filter(day=D(2026, 3, 2)).update(numbers=2)
    result = issue_check()
    assert not result.ok and result.violations == 2
    assert result.examples == ["2026-03-02: counted 2, applications 3", "2026-03-05: counted 1, applications 0"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_check_in_its_own_session_reads_tokyo_days(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 10)
    issue_at_tokyo(customer, D(2026, 3, 2), count=3, hour=0, minute=30)  # Sunday in UTC
    assert issue_check().ok
    IssueCount.objects.update(day=D(2026, 3, 1))
    assert issue_check().examples == ["2026-03-01: counted 3, applications 0", "2026-03-02: counted 0, applications 3"]
