"""The pool tally: its sums follow every import, application and cancellation in the same transaction, its
compaction keeps them, and check_invariants (invariant 9) catches a tally that disagrees with the numbers."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from selfcare.inventory.models import PhoneNumber, PoolChange
from selfcare.inventory.tally import HELD, pool_tally, pool_tally_compact
from selfcare.orders.errors import PoolShort
from selfcare.orders.invariants import invariants_check
from selfcare.orders.services import numbers_add, numbers_cancel, quarantine_end
from selfcare.testing import TEST_ACTOR, CustomerFactory, at_tokyo, issue_at_tokyo, pool_add

D = dt.date


def counted() -> dict[dt.date | None, int]:
    """The counts read the slow way, from the numbers table."""
    counts: dict[dt.date | None, int] = {}
    for number in PhoneNumber.objects.all():
        day = None if number.status == PhoneNumber.Status.ASSIGNED else number.available_from
        counts[day] = counts.get(day, 0) + 1
    return counts


def tally_check():
    [result] = [r for r in invariants_check() if r.description == "the pool tally counts what the numbers table holds"]
    return result


def test_the_tally_follows_imports_applications_and_cancellations(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 10)
        pool_add("05000000100", 5, available_from=D(2026, 6, 1))
        pool_add("05000000000", 3)  # known already: nothing added, nothing tallied
    assert pool_tally() == {D(2026, 3, 1): 10, D(2026, 6, 1): 5} == counted()

    numbers = issue_at_tokyo(customer, D(2026, 3, 15), count=4)
    assert pool_tally() == {D(2026, 3, 1): 6, D(2026, 6, 1): 5, HELD: 4} == counted()

    with at_tokyo(D(2026, 3, 20)):
        numbers_cancel(numbers=numbers[:2], received_on=D(2026, 3, 20), effective_on=D(2026, 3, 31), actor=TEST_ACTOR)
    back = quarantine_end(D(2026, 3, 31))
    assert pool_tally() == {D(2026, 3, 1): 6, D(2026, 6, 1): 5, HELD: 2, back: 2} == counted()
    assert tally_check().ok


def test_a_refused_application_changes_nothing(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 2)
        with pytest.raises(PoolShort):
            numbers_add(customer_id=customer.pk, count=3, idempotency_key="too-many", actor=TEST_ACTOR)
    assert pool_tally() == {D(2026, 3, 1): 2} == counted()


def test_compaction_keeps_the_sums_in_one_row_per_state_and_day(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 20)
    for day in (2, 3, 4):
        issue_at_tokyo(customer, D(2026, 3, day), count=2)
    before = pool_tally()
    rows = PoolChange.objects.count()
    assert rows > len(before)

    assert pool_tally_compact() == rows
    assert pool_tally() == before == counted()
    assert PoolChange.objects.count() == len(before)
    assert pool_tally_compact() == 0  # nothing more to sum
    assert tally_check().ok


def test_check_invariants_catches_a_tally_that_disagrees(customer):
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 5)
    PhoneNumber.objects.filter(number="05000000004").update(available_from=D(2026, 9, 1))  # behind its back
    result = tally_check()
    assert not result.ok and result.violations == 2
    assert "2026-03-01: tally 5, numbers 4" in result.examples
    assert "2026-09-01: tally 0, numbers 1" in result.examples


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_parallel_applications_and_compactions_keep_the_tally_true():
    from selfcare.orders.tests.test_concurrency_pg import race

    pool_add("05000000000", 200)
    customers = [CustomerFactory(addition_limit=50) for _ in range(8)]
    calls = [
        partial(numbers_add, customer_id=c.pk, count=5, idempotency_key=f"k{i}-{c.pk}", actor=TEST_ACTOR)
        for c in customers
        for i in range(3)
    ]
    calls += [pool_tally_compact] * 6
    outcomes = race(calls)
    assert [o.error for o in outcomes if o.error] == []
    assert pool_tally() == counted()
    assert pool_tally()[HELD] == 8 * 3 * 5
    assert tally_check().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_checks_in_sessions_of_their_own_see_committed_corruption():
    """Outside a transaction the checks run in sessions of their own: they must still find what is wrong."""
    pool_add("05000000000", 5)
    assert tally_check().ok
    PhoneNumber.objects.filter(number="05000000004").update(status=PhoneNumber.Status.ASSIGNED)
    results = invariants_check()
    assert [r.description for r in results if not r.ok] == [
        "every assigned number has exactly its holder's line",
        "the pool tally counts what the numbers table holds",
    ]


def test_an_assigned_number_without_its_line_is_caught_even_when_the_counts_balance(customer):
    """The count-based check of "every assigned number has its line" stands on the checks beside it; when a
    freed-while-held number and an assigned-without-line number balance the counts, it still fails."""
    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 5)
    held = issue_at_tokyo(customer, D(2026, 3, 2), count=1)[0]
    PhoneNumber.objects.filter(number=held).update(status=PhoneNumber.Status.FREE)
    PhoneNumber.objects.filter(number="05000000004").update(status=PhoneNumber.Status.ASSIGNED)

    failed = {r.description: r for r in invariants_check() if not r.ok}

    assert "no free number has a holder not cancelled" in failed
    assigned = failed["every assigned number has exactly its holder's line"]
    assert assigned.examples == ["05000000004"]


def test_the_tally_and_the_count_of_assigned_numbers_against_live_lines_are_one_read(customer):
    """Invariant 9 and invariant 1's counting proof both counted the assigned numbers (seven million at ten
    million numbers): one statement now reads the tally, the numbers and the live lines in one snapshot."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 5)
    issue_at_tokyo(customer, D(2026, 3, 2), count=2)
    with CaptureQueriesContext(connection) as queries:
        results = invariants_check()
    assert all(r.ok for r in results)
    assigned = [q["sql"] for q in queries.captured_queries if "status = 'assigned'" in q["sql"]]
    assert len(assigned) == 1 and "cancellation_id IS NULL" in assigned[0]


def test_one_pass_over_the_lines_finds_an_application_short_of_a_line_and_a_line_without_its_password(customer):
    from selfcare.orders.models import Application, IssuedLine

    with at_tokyo(D(2026, 3, 1)):
        pool_add("05000000000", 5)
    first, second = issue_at_tokyo(customer, D(2026, 3, 2), count=2)
    IssuedLine.objects.filter(number_id=first).update(service_pin_encrypted="")
    line = IssuedLine.objects.get(number_id=second)
    IssuedLine.objects.filter(pk=line.pk).delete()
    PhoneNumber.objects.filter(number=second).update(status=PhoneNumber.Status.FREE)
    results = {r.description: r for r in invariants_check()}
    application = Application.objects.get()
    whole = results["every application has exactly its count of lines, all of its customer"]
    assert whole.violations == 1 and whole.examples[0].startswith(f"{application.application_number} 2 1 ")
    kept = results["every line keeps both passwords until they are destroyed"]
    assert kept.violations == 1 and kept.examples == [first]
