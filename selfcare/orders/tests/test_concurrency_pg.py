"""Real concurrency on PostgreSQL (docs/rules.md, "Invariants" 1 to 5).

Every request runs in a thread of its own, so Django gives it a database
connection of its own; each thread opens its connection first and then waits
at a ``threading.Barrier`` so that all requests are released together. The
tests use ``transaction=True`` so rows really commit and the other
connections see them (and wait on their locks).

The assertions are chosen so that the tests fail if the locking were taken
away: without the customer row lock the idempotency key and the limit break
(unique violation / check-constraint violation instead of one application or
``LimitReached``); without the ``SELECT .. FOR UPDATE (SKIP LOCKED)`` on the pool two
applications read the same free numbers and one of them fails with an
``IntegrityError`` (or, without the database constraints, a number is issued
twice); with no quarantine a cancelled number is issued again at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.db import connection

from selfcare.accounts.models import Customer
from selfcare.audit.models import AuditEntry
from selfcare.audit.services import Actor
from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.letters.models import Letter
from selfcare.orders.errors import LimitReached, NumbersNotHeld, PoolShort
from selfcare.orders.invariants import invariants_check
from selfcare.orders.models import Application, Cancellation, IssuedLine
from selfcare.orders.services import Placement, numbers_add, numbers_cancel, quarantine_end
from selfcare.testing import CustomerFactory, pool_add

BARRIER_TIMEOUT = 30  # seconds; a broken barrier shows up as an unexpected outcome
JOIN_TIMEOUT = 60


# --- helpers -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one racing call returned or raised, and when it ran (time.monotonic())."""

    result: Any
    error: BaseException | None
    started: float
    finished: float


def race(calls: Sequence[Callable[[], Any]]) -> list[Outcome]:
    """Run every call in its own thread (own DB connection), all released at once by a barrier."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)
    connect_errors: list[BaseException] = []

    def worker(index: int, call: Callable[[], Any]) -> None:
        started = finished = 0.0
        try:
            try:
                connection.ensure_connection()  # connect before the barrier so connecting does not stagger the start
            except BaseException as exc:
                connect_errors.append(exc)
                barrier.abort()  # release the others at once instead of letting them wait for the timeout
                raise
            barrier.wait(timeout=BARRIER_TIMEOUT)
            started = time.monotonic()
            result = call()
            finished = time.monotonic()
            outcomes[index] = Outcome(result, None, started, finished)
        except BaseException as exc:
            outcomes[index] = Outcome(None, exc, started, finished or time.monotonic())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, call), name=f"race-{i}", daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not [t.name for t in threads if t.is_alive()], "racing requests did not finish (deadlock?)"
    if connect_errors:  # e.g. PostgreSQL's max_connections, when other test runs share the server
        raise AssertionError(f"{len(calls)} parallel connections needed: {connect_errors[0]!r}") from connect_errors[0]
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(calls)
    # The race was real: more than one request was already under way when the first one finished.
    first_end = min(o.finished for o in done)
    assert sum(o.started < first_end for o in done) >= 2, "the requests ran one after another, not together"
    return done


def placements_and_refusals(
    outcomes: list[Outcome], *refusal_types: type[Exception]
) -> tuple[list[Any], list[BaseException]]:
    """Split outcomes into results and refusals; anything else raised fails the test, with its traceback."""
    unexpected = [o.error for o in outcomes if o.error is not None and not isinstance(o.error, refusal_types)]
    if unexpected:
        raise AssertionError(f"{len(unexpected)} unexpected errors, first: {unexpected[0]!r}") from unexpected[0]
    return (
        [o.result for o in outcomes if o.error is None],
        [o.error for o in outcomes if o.error is not None],
    )


def assert_invariants_hold() -> None:
    results = invariants_check()
    assert results
    failed = [r for r in results if not r.ok]
    assert not failed, "; ".join(
        f"invariant {r.invariant} ({r.description}): {r.violations} violations, e.g. {r.examples}" for r in failed
    )


def assert_every_application_whole() -> None:
    for application in Application.objects.all():
        lines = list(application.lines.all())
        assert len(lines) == application.count, application.application_number
        assert {line.customer_id for line in lines} == {application.customer_id}
        assert all(line.service_pin_encrypted and line.sip_password_encrypted for line in lines)
        assert Letter.objects.filter(application=application).count() == 1


def assert_no_number_issued_twice() -> list[str]:
    issued = list(IssuedLine.objects.values_list("number_id", flat=True))
    twice = {n: c for n, c in Counter(issued).items() if c > 1}
    assert not twice, f"numbers issued more than once: {twice}"
    return issued


def assert_counters_match_applications() -> None:
    for customer in Customer.objects.all():
        total = sum(customer.applications.values_list("count", flat=True))
        assert customer.numbers_added == total, customer.pk
        assert customer.numbers_added <= customer.addition_limit, customer.pk


def take_the_rest(pool: list[str], actor: Actor) -> int:
    """After a race: the numbers of ``pool`` nobody got must still be issuable; issue them all, one by one.

    Returns how many there were. This is what "explains" a leftover: it was only
    held for a moment by a request that was refused, and nothing leaked.
    """
    leftover = list(PhoneNumber.objects.issuable().filter(number__in=pool).values_list("number", flat=True))
    if not leftover:
        return 0
    late = CustomerFactory(addition_limit=len(leftover))
    taken: list[str] = []
    for i in range(0, len(leftover), 50):
        count = min(50, len(leftover) - i)
        placement = numbers_add(customer_id=late.pk, count=count, idempotency_key=f"late-{i}", actor=actor)
        taken += placement.application.lines.values_list("number_id", flat=True)
    assert sorted(taken) == sorted(leftover)
    return len(leftover)


# --- invariant 4: one 実行, one application --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_one_customer_when_20_parallel_submits_share_an_idempotency_key_then_exactly_one_application(
    customer, pool, actor
):
    # given: one customer, a pool of 200, and 20 requests replaying the same 実行 (same key)
    submit = partial(numbers_add, customer_id=customer.pk, count=3, idempotency_key="exec-once", actor=actor)

    # when: they all arrive at once
    outcomes = race([submit] * 20)

    # then: nobody got an error, there is one application and all 20 callers see it
    placements, refusals = placements_and_refusals(outcomes)
    assert refusals == []
    assert len(placements) == 20
    assert Application.objects.filter(customer=customer).count() == 1
    application = Application.objects.get(customer=customer)
    assert {p.application.application_number for p in placements} == {application.application_number}
    assert {p.application.pk for p in placements} == {application.pk}
    assert sum(p.created for p in placements) == 1
    # ... with its 3 numbers only once, one letter, one audit record, the counter raised once
    assert IssuedLine.objects.filter(customer=customer).count() == 3
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.ASSIGNED).count() == 3
    assert Letter.objects.filter(customer=customer).count() == 1
    assert AuditEntry.objects.filter(action="application.placed", customer=customer).count() == 1
    customer.refresh_from_db()
    assert customer.numbers_added == 3
    assert_invariants_hold()


# --- invariants 1 and 3: a scarce pool shared by many customers ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_a_pool_smaller_than_demand_when_50_customers_apply_at_once_then_no_number_is_issued_twice(plan, actor):
    # given: 120 free numbers and 50 customers who each want 5 (demand 250)
    pool = pool_add("05000000000", 120)
    customers = CustomerFactory.create_batch(50, plan=plan)
    calls = [
        partial(numbers_add, customer_id=c.pk, count=5, idempotency_key=f"k-{c.pk}", actor=actor) for c in customers
    ]

    # when: they all apply at once
    outcomes = race(calls)

    # then: each request either got its whole application or was refused for a short pool, nothing else
    placements, refusals = placements_and_refusals(outcomes, PoolShort)
    assert all(p.created for p in placements)
    assert all(r.params["requested"] == 5 and r.params["available"] < 5 for r in refusals)
    assert len(placements) + len(refusals) == 50
    assert placements, "with 120 free numbers somebody must have been served"
    assert Application.objects.count() == len(placements)

    # ... no number went to two customers, and only numbers of the pool were issued
    issued = assert_no_number_issued_twice()
    assert set(issued) <= set(pool)
    assert len(issued) == 5 * len(placements) <= len(pool)
    assert set(PhoneNumber.objects.filter(status=PhoneNumber.Status.ASSIGNED).values_list("number", flat=True)) == set(
        issued
    )

    # ... every application is whole (5 lines, passwords, letter) and no customer is over its limit
    assert_every_application_whole()
    assert_counters_match_applications()
    served = {p.application.customer_id for p in placements}
    assert len(served) == len(placements)  # one application each
    for c in Customer.objects.filter(pk__in=[c.pk for c in customers]):
        assert c.numbers_added == (5 if c.pk in served else 0), c.pk

    # ... every refusal is in the audit log as a short pool
    refused_audit = AuditEntry.objects.filter(action="application.refused")
    assert refused_audit.count() == len(refusals)
    assert [e.detail["reason"] for e in refused_audit] == ["pool_short"] * len(refusals)

    # ... and every number nobody got is still free and issuable: it was only held for a moment by a refused request
    leftover = take_the_rest(pool, actor)
    assert len(issued) + leftover == len(pool)
    assert not PhoneNumber.objects.issuable().exists()
    assert_invariants_hold()


# --- invariant 2: one customer's parallel applications and its limit -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_a_limit_of_50_when_10_parallel_applications_of_8_then_the_customer_is_held_to_the_limit(
    plan, pool, actor
):
    # given: a customer with a limit of 50 and a pool of 200 (the pool is not the constraint)
    customer = CustomerFactory(plan=plan, addition_limit=50)
    calls = [
        partial(numbers_add, customer_id=customer.pk, count=8, idempotency_key=f"tab-{i}", actor=actor)
        for i in range(10)
    ]

    # when: ten browser tabs each apply for 8 at once (80 > 50)
    outcomes = race(calls)

    # then: six fit (48), the other four are refused with LimitReached and nothing else
    placements, refusals = placements_and_refusals(outcomes, LimitReached)
    assert len(placements) == 6
    assert len(refusals) == 4
    assert all(r.params == {"limit": 50, "remaining": 2} for r in refusals)
    applications = Application.objects.filter(customer=customer)
    assert applications.count() == 6
    assert sum(a.count for a in applications) == 48 <= 50

    customer.refresh_from_db()
    assert customer.numbers_added == 48
    issued = assert_no_number_issued_twice()
    assert len(issued) == 48
    assert IssuedLine.objects.filter(customer=customer).count() == 48
    assert_every_application_whole()
    assert AuditEntry.objects.filter(action="application.refused", customer=customer).count() == 4
    assert_invariants_hold()


# --- invariant 5: a cancellation racing with applications ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_a_cancellation_racing_with_applications_then_cancelled_numbers_are_never_reissued(plan, actor):
    # given: 40 numbers; one holder got the first 10 (the lowest, so they would come first in issue order
    # if they were issuable), leaving 30 fresh ones; 12 other customers
    pool = pool_add("05000000000", 40)
    holder = CustomerFactory(plan=plan)
    first = numbers_add(customer_id=holder.pk, count=10, idempotency_key="first", actor=actor).application
    cancelled = sorted(first.lines.values_list("number_id", flat=True))
    assert cancelled == pool[:10]
    fresh = pool[10:]
    others = CustomerFactory.create_batch(12, plan=plan)
    today = clock.today()
    cancellation_committed = threading.Event()

    def cancel() -> Cancellation:
        try:
            return numbers_cancel(numbers=cancelled, received_on=today, actor=actor)
        finally:
            cancellation_committed.set()

    def apply_one_at_a_time(customer_id: int) -> list[Placement | PoolShort]:
        # Keep applying for one number until refused for a short pool by an attempt that began after the
        # cancellation had committed: so every applicant asks at least once while the cancelled numbers
        # are back in the pool (where they would be first in issue order if they were issuable).
        results: list[Placement | PoolShort] = []
        for attempt in range(60):
            after_cancellation = cancellation_committed.is_set()
            try:
                results.append(
                    numbers_add(customer_id=customer_id, count=1, idempotency_key=f"one-{attempt}", actor=actor)
                )
            except PoolShort as refusal:
                results.append(refusal)
                if after_cancellation:
                    return results
        raise AssertionError("the pool never ran dry")

    # when: staff record the holder's paper cancellation while the 12 others drain the 30 fresh numbers
    # one at a time and the holder applies for 2 more
    holder_more = partial(numbers_add, customer_id=holder.pk, count=2, idempotency_key="more", actor=actor)
    outcomes = race([cancel, holder_more, *[partial(apply_one_at_a_time, c.pk) for c in others]])

    # then: the cancellation went through for all 10 numbers
    assert outcomes[0].error is None, repr(outcomes[0].error)
    cancellation = outcomes[0].result
    assert isinstance(cancellation, Cancellation)
    assert set(cancellation.lines.values_list("number_id", flat=True)) == set(cancelled)
    assert set(first.lines.values_list("cancelled_on", flat=True)) == {today}

    # ... no cancelled number was issued again, though every applicant asked after the cancellation
    later_lines = IssuedLine.objects.exclude(application=first)
    reissued = sorted(later_lines.filter(number_id__in=cancelled).values_list("number_id", flat=True))
    assert reissued == [], f"cancelled numbers issued again during their quarantine: {reissued}"
    assert IssuedLine.objects.filter(number_id__in=cancelled).count() == 10  # only the original lines

    # ... the applications got fresh numbers or a short-pool refusal, nothing else
    holder_outcome, *applicant_outcomes = outcomes[1:]
    assert holder_outcome.error is None or isinstance(holder_outcome.error, PoolShort), repr(holder_outcome.error)
    per_applicant, _ = placements_and_refusals(applicant_outcomes)
    results = [r for rs in per_applicant for r in rs]
    placements = [r for r in results if isinstance(r, Placement)]
    assert all(isinstance(r, PoolShort) for r in results if not isinstance(r, Placement))
    assert set(later_lines.values_list("number_id", flat=True)) <= set(fresh)
    newly_issued = later_lines.count()
    assert newly_issued == len(placements) + (2 if holder_outcome.error is None else 0) <= len(fresh)
    assert_no_number_issued_twice()

    # ... the cancelled numbers wait out their quarantine in the pool
    free_from = quarantine_end(today)
    assert free_from > today
    for number in PhoneNumber.objects.filter(number__in=cancelled):
        assert number.status == PhoneNumber.Status.FREE
        assert number.available_from == free_from
    assert set(PhoneNumber.objects.in_quarantine().values_list("number", flat=True)) == set(cancelled)

    # ... the holder's cumulative counter still counts the cancelled numbers
    holder.refresh_from_db()
    assert holder.numbers_added == 10 + (2 if holder_outcome.error is None else 0)

    # ... any fresh number nobody got (held for a moment by a refused request) is still issuable, and
    # taking all of them leaves the pool with nothing issuable but the cancelled numbers in quarantine
    leftover = take_the_rest(pool, actor)
    assert newly_issued + leftover == len(fresh)
    assert not PhoneNumber.objects.issuable().exists()
    assert not later_lines.filter(number_id__in=cancelled).exists()
    assert_every_application_whole()
    assert_counters_match_applications()
    assert_invariants_hold()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_one_paper_form_when_recorded_5_times_at_once_then_one_cancellation(customer, pool, actor):
    # given: a customer holding 4 numbers
    application = numbers_add(customer_id=customer.pk, count=4, idempotency_key="k", actor=actor).application
    numbers = sorted(application.lines.values_list("number_id", flat=True))
    received = clock.today()  # numbers issued today: the form cannot take effect earlier

    # when: five operators record the same form at the same moment
    record = partial(numbers_cancel, numbers=numbers, received_on=received, actor=actor, note="form 1")
    outcomes = race([record] * 5)

    # then: one cancellation; the other four are told the numbers are no longer held
    cancellations, refusals = placements_and_refusals(outcomes, NumbersNotHeld)
    assert len(cancellations) == 1
    assert len(refusals) == 4
    assert Cancellation.objects.count() == 1
    assert set(IssuedLine.objects.values_list("cancellation_id", flat=True)) == {cancellations[0].pk}
    assert AuditEntry.objects.filter(action="numbers.cancelled").count() == 1
    assert set(PhoneNumber.objects.filter(number__in=numbers).values_list("available_from", flat=True)) == {
        quarantine_end(received)
    }
    assert_invariants_hold()
