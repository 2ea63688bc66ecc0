"""check_invariants on PostgreSQL: a check the database keeps itself is not made again by reading every row,
and is made the long way when what keeps it is gone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from selfcare.orders.invariants import ONE_LIVE_HOLDER, invariants_check
from selfcare.orders.models import IssuedLine
from selfcare.testing import at_tokyo, issue_at_tokyo, pool_add

pytestmark = pytest.mark.postgres
D = dt.date


def _one_live_holder():
    [result] = [r for r in invariants_check() if r.description == ONE_LIVE_HOLDER]
    return result


@pytest.fixture
def issued(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 5)
    return issue_at_tokyo(customer, D(2026, 3, 2), count=2)


def test_while_the_unique_index_of_live_holders_is_there_the_lines_are_not_grouped_again(issued):
    with CaptureQueriesContext(connection) as queries:
        result = _one_live_holder()
    assert result.ok and result.checked == 2
    assert not [q["sql"] for q in queries.captured_queries if "cancellation_id IS NULL GROUP BY number" in q["sql"]]


def test_without_the_index_two_live_holders_of_a_number_are_found(issued):
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX line_one_holder_per_number")  # in the test's transaction: rolled back
    second = IssuedLine.objects.get(number_id=issued[0])
    second.pk = None
    second.save()
    result = _one_live_holder()
    assert not result.ok and result.violations == 1
    assert result.examples == [f"{issued[0]} 2"]


def test_an_index_left_invalid_is_not_taken_for_the_rule(issued):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'line_one_holder_per_number'::regclass"
        )
    with CaptureQueriesContext(connection) as queries:
        assert _one_live_holder().ok
    assert [q["sql"] for q in queries.captured_queries if "cancellation_id IS NULL GROUP BY number" in q["sql"]]


def test_one_join_of_the_free_numbers_finds_a_live_holder_and_a_quarantine_cut_short(customer):
    from selfcare.inventory.models import PhoneNumber
    from selfcare.orders.services import numbers_cancel
    from selfcare.testing import TEST_ACTOR

    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 5)
    held, cancelled = issue_at_tokyo(customer, D(2026, 3, 2), count=2)
    with at_tokyo(D(2026, 3, 10)):
        numbers_cancel(numbers=[cancelled], received_on=D(2026, 3, 10), actor=TEST_ACTOR)
    with CaptureQueriesContext(connection) as queries:
        results = {r.description: r for r in invariants_check()}
    assert all(r.ok for r in results.values())
    assert len([q for q in queries.captured_queries if "p.status = 'free'" in q["sql"] and "FILTER" in q["sql"]]) == 1

    PhoneNumber.objects.filter(number=held).update(status=PhoneNumber.Status.FREE)  # behind the services' back
    PhoneNumber.objects.filter(number=cancelled).update(available_from=D(2026, 4, 1))
    results = {r.description: r for r in invariants_check()}
    assert results["no free number has a holder not cancelled"].examples == [held]
    waits = results["every cancelled number in the pool waits until its quarantine ends"]
    assert waits.violations == 1 and waits.examples == [f"{cancelled} 2026-04-01 2026-03-10"]
