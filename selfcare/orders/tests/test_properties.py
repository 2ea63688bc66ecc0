"""Property-based tests: random sequences of imports, additions, cancellations, limit changes and clock jumps.

A Hypothesis state machine drives the real services against the database and keeps
its own model of what docs/rules.md says must be true (the pool, each customer's
numbers, counters, limits and idempotency keys, each number's quarantine). After
every step it checks ``invariants_check()`` and compares the database with the
model. Refusals (DomainError) are expected outcomes: each must be exactly the
refusal the model predicts, and must change nothing.

The services open durable transactions, so an example cannot be wrapped in a
savepoint: every example starts by deleting all rows instead (pytest-django's
``db`` fixture rolls the whole test back at the end).

A second, plain property test covers what the machine deliberately never does:
a paper form whose cancellation takes effect before the number was even issued.
"""

from __future__ import annotations

import calendar
import datetime as dt
import string
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from hypothesis import HealthCheck, Phase, event, given, target
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from selfcare.accounts.errors import BadLimit, LimitBelowUsage
from selfcare.accounts.models import Customer, Plan, User
from selfcare.accounts.services import customer_set_limit, customer_set_status
from selfcare.audit.models import AuditEntry
from selfcare.core import clock
from selfcare.core.errors import DomainError
from selfcare.inventory.models import IssueCount, PhoneNumber, PoolChange
from selfcare.inventory.services import iter_range, numbers_import
from selfcare.letters.models import Letter
from selfcare.orders.errors import (
    BadCancellationDates,
    BadCount,
    CustomerSuspended,
    LimitReached,
    NothingToCancel,
    NumbersNotHeld,
    NumbersOfSeveralCustomers,
    PoolShort,
)
from selfcare.orders.invariants import invariants_check
from selfcare.orders.models import Application, Cancellation, IssuedLine
from selfcare.orders.services import numbers_add, numbers_cancel
from selfcare.testing import TEST_ACTOR, TOKYO, CustomerFactory, PlanFactory

MAX_PER_APPLICATION = 50  # docs/rules.md: 1 to 50 numbers per application
QUARANTINE_MONTHS = 6  # docs/rules.md: 6 calendar months after the cancellation takes effect
DEFAULT_LIMIT = 50  # docs/rules.md: 50 numbers in total by default
MAX_LIMIT = 100_000
CUSTOMERS = 3
UNIVERSE = 40  # numbers 05000000000 .. 05000000039: small, so the pool runs short and ranges overlap
FIRST_NUMBER = 5_000_000_000

# Times of day (Tokyo) around both midnights: Tokyo's and UTC's (09:00 in Tokyo).
TIMES_OF_DAY = st.sampled_from(
    [dt.time(0, 0), dt.time(0, 1), dt.time(8, 59, 59), dt.time(9, 0), dt.time(12, 0), dt.time(23, 59, 59)]
)

# (what the customer typed, the count it means, or None when it must be refused as BadCount)
TypedCount = tuple[int | str | bool, int | None]
COUNTS: st.SearchStrategy[TypedCount] = st.one_of(
    st.integers(1, 3).map(lambda n: (n, n)),
    st.integers(1, 3).map(lambda n: (n, n)),
    st.integers(1, 8).map(lambda n: (n, n)),
    st.integers(1, MAX_PER_APPLICATION).map(lambda n: (n, n)),
    st.sampled_from(
        [
            (0, None),
            (MAX_PER_APPLICATION + 1, None),
            (-1, None),
            (True, None),
            ("0", None),
            ("51", None),
            ("", None),
            ("abc", None),
            ("1.5", None),
            ("-3", None),
            ("３", 3),
            (" 2 ", 2),
            ("05", 5),
            ("５０", 50),
            ("５１", None),
        ]
    ),
)

# How a customer's request is made (repeats weigh the draw).
ADD_HOW = st.sampled_from(
    [
        *("as typed", "as typed", "as typed"),
        *("replay", "replay"),
        *("whole pool", "pool + 1", "up to limit", "limit + 1"),
        "bad key",
    ]
)

# A few keys per customer, so that repeats (double clicks, reloads, replays) are frequent.
KEYS = st.sampled_from(["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"]) | st.text(
    string.ascii_letters + string.digits + "-", min_size=1, max_size=64
)


def months_later(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's end (the model's own arithmetic, not the code's)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def number_at(offset: int) -> str:
    return f"{FIRST_NUMBER + offset:011d}"


@dataclass
class PoolNumber:
    assigned: bool
    available_from: dt.date


@dataclass
class Holding:
    customer: int  # index into the machine's customers
    issued_on: dt.date


@dataclass
class CustomerModel:
    pk: int
    limit: int = DEFAULT_LIMIT
    added: int = 0
    active: bool = True
    held: set[str] = field(default_factory=set)
    """Numbers with a line not cancelled."""
    cancelled_later: dict[str, dt.date] = field(default_factory=dict)
    """Numbers cancelled with effect in the future: still the customer's (``live()``) until that day."""
    applications: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """idempotency key -> (application number, its numbers)."""


def _delete_everything() -> None:
    """Empty the tables this machine writes to, children first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A trigger refuses to delete audit entries; only TRUNCATE gets past it, and TRUNCATE needs the
            # deferred foreign-key checks of this (never committed) transaction to have run first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {AuditEntry._meta.db_table}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # numbers_import's COPY path keeps a temporary table whose rows are only emptied at COMMIT;
            # without this, an earlier example's numbers would come back with the next import.
            cursor.execute("DISCARD TEMP")
    else:
        # AuditEntry.delete() refuses on purpose: delete raw (no signals, no instance delete()).
        AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)
    tables = (Letter, IssuedLine, Cancellation, Application, PhoneNumber, PoolChange, IssueCount, Customer, User, Plan)
    for model in tables:
        model.objects.all()._raw_delete(model.objects.db)


def _db_state() -> dict[str, Any]:
    """Everything a refused request must leave unchanged."""
    return {
        "applications": Application.objects.count(),
        "lines": list(
            IssuedLine.objects.order_by("id").values_list("number_id", "customer_id", "cancellation_id", "cancelled_on")
        ),
        "letters": Letter.objects.count(),
        "cancellations": Cancellation.objects.count(),
        "pool": sorted(PhoneNumber.objects.values_list("number", "status", "available_from")),
        "customers": sorted(Customer.objects.values_list("pk", "numbers_added", "addition_limit", "status")),
    }


def _last_audit() -> AuditEntry:
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None
    return entry


class NumbersMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        _delete_everything()
        self.traveller: time_machine.travel | None = None
        self.coordinates: time_machine.Traveller | None = None
        self.now: dt.datetime = dt.datetime(2024, 1, 1, tzinfo=TOKYO)
        self.customers: list[CustomerModel] = []
        self.pool: dict[str, PoolNumber] = {}
        self.holders: dict[str, Holding] = {}
        self.quarantine_until: dict[str, dt.date] = {}
        self.ready = False
        self.reissued = 0
        self.cancelled = 0

    # ---- set-up and tear-down -------------------------------------------------------------------

    @initialize(
        start=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31)),
        at=TIMES_OF_DAY,
        last_suspended=st.booleans(),
        first_pool=st.integers(1, 25),
    )
    def start(self, start: dt.date, at: dt.time, last_suspended: bool, first_pool: int) -> None:
        """Three customers (the last one may start suspended) and a first range of numbers, available today."""
        self.now = dt.datetime.combine(start, at, tzinfo=TOKYO)
        self.traveller = time_machine.travel(self.now, tick=False)
        self.coordinates = self.traveller.start()
        plan = PlanFactory()
        for index in range(CUSTOMERS):
            suspended = last_suspended and index == CUSTOMERS - 1
            status = Customer.Status.SUSPENDED if suspended else Customer.Status.ACTIVE
            customer = cast(Customer, CustomerFactory(plan=plan, status=status))
            self.customers.append(CustomerModel(pk=customer.pk, active=not suspended))
        self.ready = True
        self.import_range(first=0, size=first_pool, when=None)

    def teardown(self) -> None:
        # Steer Hypothesis towards runs that reach the interesting states: numbers reissued after quarantine.
        target(float(self.reissued), label="numbers reissued after their quarantine")
        target(float(self.cancelled), label="numbers cancelled")
        if self.traveller is not None:
            self.traveller.stop()
            self.traveller = None

    # ---- the model's view -----------------------------------------------------------------------

    @property
    def today(self) -> dt.date:
        return self.now.date()  # self.now is in Tokyo: the carrier's calendar

    def issuable(self) -> list[str]:
        """Free numbers whose day has come, in issue order: oldest available_from first, then by number."""
        free = [
            (p.available_from, n) for n, p in self.pool.items() if not p.assigned and p.available_from <= self.today
        ]
        return [n for _, n in sorted(free)]

    def travel_to(self, when: dt.datetime) -> None:
        assert when > self.now, "the clock only moves forward"
        assert self.coordinates is not None
        self.now = when
        self.coordinates.move_to(when)

    # ---- clock ----------------------------------------------------------------------------------

    @precondition(lambda self: self.ready)
    @rule(
        data=st.data(),
        kind=st.sampled_from(["days", "months", "month_end", "quarantine_end"]),
        at=TIMES_OF_DAY,
    )
    def jump(self, data: st.DataObject, kind: str, at: dt.time) -> None:
        """Move the clock forward: some days; some calendar months; to a month's last day (maybe then past
        midnight); or to the first day a cancelled number may be issued again (or the last day it may not)."""
        day = self.today
        if kind == "days":
            to = day + dt.timedelta(days=data.draw(st.integers(1, 45), label="days"))
        elif kind == "months":
            to = months_later(day, data.draw(st.integers(1, 7), label="months"))
        elif kind == "quarantine_end" and any(end > day for end in self.quarantine_until.values()):
            ends = sorted({end for end in self.quarantine_until.values() if end > day})
            to = data.draw(st.sampled_from(ends), label="quarantine end")
            if data.draw(st.booleans(), label="the day before") and to - dt.timedelta(days=1) > day:
                to -= dt.timedelta(days=1)
        else:  # month_end (and quarantine_end when nothing is in quarantine)
            to = day.replace(day=calendar.monthrange(day.year, day.month)[1])
            if to == day:
                following = months_later(day.replace(day=1), 1)
                to = following.replace(day=calendar.monthrange(following.year, following.month)[1])
            if data.draw(st.booleans(), label="then past midnight"):
                to, at = to + dt.timedelta(days=1), dt.time(0, 0)
        self.travel_to(dt.datetime.combine(to, at, tzinfo=TOKYO))

    # ---- inventory ------------------------------------------------------------------------------

    @precondition(lambda self: self.ready)
    @rule(
        first=st.integers(0, UNIVERSE - 1),
        size=st.integers(1, 10),
        when=st.one_of(
            st.none(),
            st.integers(-400, 0),
            st.integers(1, 250),
        ),
    )
    def import_range(self, first: int, size: int, when: int | None) -> None:
        """Import a range of numbers, available from today (the default), a day past, or a day to come."""
        last = min(first + size - 1, UNIVERSE - 1)
        available_from = None if when is None else self.today + dt.timedelta(days=when)
        numbers = list(iter_range(number_at(first), number_at(last)))
        fresh = [n for n in numbers if n not in self.pool]
        audit_before = AuditEntry.objects.count()

        result = numbers_import(numbers=iter(numbers), actor=TEST_ACTOR, available_from=available_from)

        assert (result.added, result.skipped) == (len(fresh), len(numbers) - len(fresh))
        assert AuditEntry.objects.count() == audit_before + 1
        assert _last_audit().action == "inventory.imported"
        for n in fresh:  # numbers already known (in any state) keep their state
            self.pool[n] = PoolNumber(assigned=False, available_from=available_from or self.today)

    # ---- additions ------------------------------------------------------------------------------

    def _expected_refusal(self, c: CustomerModel, count: int | None, key: str) -> type[DomainError] | None:
        if count is None:
            return BadCount  # the input is checked first, whatever the key
        if key in c.applications:
            return None  # a replay: the first application again
        if not c.active:
            return CustomerSuspended
        if c.added + count > c.limit:
            return LimitReached
        if len(self.issuable()) < count:
            return PoolShort
        return None

    @precondition(lambda self: self.ready)
    @rule(data=st.data())
    def add(self, data: st.DataObject) -> None:
        """A customer adds numbers: the count as typed; a count on a boundary (all the numbers issuable now, or
        all the customer may still add, or one more); a replay of an earlier application (実行 twice, a
        reload, a replayed request); or a call without a valid idempotency key."""
        who = data.draw(st.integers(0, CUSTOMERS - 1), label="customer")
        how = data.draw(ADD_HOW, label="how")
        count = data.draw(COUNTS, label="count (typed, meant)")
        key = data.draw(KEYS, label="idempotency key")
        c = self.customers[who]
        if how == "replay" and c.applications:
            key = data.draw(st.sampled_from(sorted(c.applications)), label="replayed key")
            same = len(c.applications[key][1])
            replayed = data.draw(st.sampled_from([same, same, 1, MAX_PER_APPLICATION]), label="replayed count")
            count = (replayed, replayed)
        elif how == "bad key":
            key = data.draw(st.sampled_from(["", "x" * 65]), label="bad key")
        elif how != "as typed":
            boundary = len(self.issuable()) if how in ("whole pool", "pool + 1") else c.limit - c.added
            boundary += how.endswith("+ 1")
            if 1 <= boundary <= MAX_PER_APPLICATION:
                count = (boundary, boundary)
        self._add(who, count, key)

    def _add(self, who: int, count: TypedCount, key: str) -> None:
        raw, value = count
        c = self.customers[who]
        if not 1 <= len(key) <= 64:  # a programming error, not a refusal: nothing happens, nothing is audited
            before = _db_state()
            audit_before = AuditEntry.objects.count()
            with pytest.raises(ValueError, match="idempotency_key"):
                numbers_add(customer_id=c.pk, count=raw, idempotency_key=key, actor=TEST_ACTOR)
            assert _db_state() == before
            assert AuditEntry.objects.count() == audit_before
            return
        expected = self._expected_refusal(c, value, key)
        replay = value is not None and key in c.applications
        issuable_before = self.issuable()
        before = _db_state()
        audit_before = AuditEntry.objects.count()

        try:
            placement = numbers_add(customer_id=c.pk, count=raw, idempotency_key=key, actor=TEST_ACTOR)
        except DomainError as refusal:
            event(f"add refused: {refusal.code}")
            assert type(refusal) is expected, f"refused with {refusal!r}, the model expected {expected}"
            assert _db_state() == before, "a refused addition changed something"
            assert AuditEntry.objects.count() == audit_before + 1, "a refusal is audited exactly once"
            entry = _last_audit()
            assert (entry.action, entry.customer_id, entry.detail["reason"]) == (
                "application.refused",
                c.pk,
                refusal.code,
            )
            if isinstance(refusal, LimitReached):
                assert refusal.params == {"limit": c.limit, "remaining": max(c.limit - c.added, 0)}
            if isinstance(refusal, PoolShort):
                assert refusal.params == {"requested": value, "available": len(issuable_before)}
            return

        assert expected is None, f"the model expected {expected.__name__}, but the addition went through"
        application = Application.objects.get(pk=placement.application.pk)
        numbers = tuple(application.lines.order_by("number").values_list("number_id", flat=True))

        event("add replayed" if replay else "add placed")
        if replay:
            first_number, first_numbers = c.applications[key]
            assert not placement.created
            assert application.application_number == first_number
            assert numbers == first_numbers
            assert _db_state() == before, "a replayed request changed something"
            assert AuditEntry.objects.count() == audit_before
            return

        assert value is not None
        assert placement.created
        expected_numbers = tuple(sorted(issuable_before[:value]))
        assert numbers == expected_numbers, "numbers are issued oldest available_from first, then by number"
        if any(n in self.quarantine_until for n in numbers):
            event("add reissued a number after its quarantine")
            self.reissued += sum(n in self.quarantine_until for n in numbers)
        for n in numbers:  # invariant 5, from the model's own quarantine arithmetic
            assert n not in self.holders, f"{n} issued while held"
            assert self.today >= self.quarantine_until.get(n, dt.date.min), f"{n} reissued in quarantine"
        assert application.customer_id == c.pk
        assert application.count == value
        assert application.idempotency_key == key
        assert application.application_number.startswith(f"{self.today:%y%m%d}-")
        assert application.placed_at == self.now
        assert application.monthly_fee_per_number == Plan.objects.get(customers__pk=c.pk).monthly_fee_per_number
        assert set(application.lines.values_list("issued_at", flat=True)) == {self.now}
        assert Letter.objects.filter(application=application, customer_id=c.pk).count() == 1
        assert Application.objects.count() == before["applications"] + 1
        assert Letter.objects.count() == before["letters"] + 1
        assert AuditEntry.objects.count() == audit_before + 1
        entry = _last_audit()
        assert (entry.action, entry.customer_id, entry.target) == (
            "application.placed",
            c.pk,
            application.application_number,
        )
        assert entry.detail["numbers"] == list(numbers)

        c.added += value
        c.held.update(numbers)
        c.applications[key] = (application.application_number, numbers)
        for n in numbers:
            self.pool[n].assigned = True
            self.holders[n] = Holding(customer=who, issued_on=self.today)

    # ---- limits and status ----------------------------------------------------------------------

    @precondition(lambda self: self.ready)
    @rule(
        who=st.integers(0, CUSTOMERS - 1),
        change=st.one_of(
            st.integers(-5, 20).map(lambda d: ("relative", d)),
            st.integers(0, 70).map(lambda n: ("absolute", n)),
            st.sampled_from([("absolute", -1), ("absolute", MAX_LIMIT), ("absolute", MAX_LIMIT + 1)]),
            st.sampled_from([("suspend", 0), ("reinstate", 0)]),
        ),
    )
    def staff_edit(self, who: int, change: tuple[str, int]) -> None:
        """Staff change a customer's limit, or suspend or reinstate the last customer."""
        kind, value = change
        if kind in ("suspend", "reinstate"):
            self._suspend_or_reinstate(kind == "suspend")
        else:
            self._set_limit(who, self.customers[who].added + value if kind == "relative" else value)

    def _set_limit(self, who: int, limit: int) -> None:
        """Staff change a limit: around what the customer has added (maybe below it), or anywhere, or out of range."""
        c = self.customers[who]
        if not 0 <= limit <= MAX_LIMIT:
            expected: type[DomainError] | None = BadLimit
        elif limit < c.added:
            expected = LimitBelowUsage
        else:
            expected = None
        before = _db_state()
        audit_before = AuditEntry.objects.count()
        try:
            customer = customer_set_limit(customer_id=c.pk, limit=limit, actor=TEST_ACTOR)
        except DomainError as refusal:
            event(f"limit refused: {refusal.code}")
            assert type(refusal) is expected, f"refused with {refusal!r}, the model expected {expected}"
            assert _db_state() == before
            return
        assert expected is None, f"the model expected {expected.__name__}"
        assert customer.addition_limit == limit
        assert AuditEntry.objects.count() == audit_before + 1
        entry = _last_audit()
        assert (entry.action, entry.customer_id, entry.detail) == (
            "customer.limit_changed",
            c.pk,
            {"from": c.limit, "to": limit},
        )
        c.limit = limit

    def _suspend_or_reinstate(self, suspend: bool) -> None:
        """Suspend or reinstate the last customer (the others stay active, so additions go through often)."""
        c = self.customers[-1]
        status = Customer.Status.SUSPENDED if suspend else Customer.Status.ACTIVE
        audit_before = AuditEntry.objects.count()
        customer = customer_set_status(customer_id=c.pk, status=status, actor=TEST_ACTOR)
        assert customer.status == status
        if c.active == suspend:  # a change: audited once
            assert AuditEntry.objects.count() == audit_before + 1
            entry = _last_audit()
            assert (entry.action, entry.customer_id) == ("customer.status_changed", c.pk)
        else:
            assert AuditEntry.objects.count() == audit_before
        c.active = not suspend

    # ---- cancellations --------------------------------------------------------------------------

    def _draw_held(self, data: st.DataObject, who: int) -> list[str]:
        mine = sorted(self.customers[who].held)
        return data.draw(st.lists(st.sampled_from(mine), min_size=1, max_size=len(mine), unique=True))

    def _holders_with_numbers(self) -> list[int]:
        return [i for i, c in enumerate(self.customers) if c.held]

    @precondition(lambda self: self.ready and any(c.held for c in self.customers))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        """Staff record a paper form for some of one customer's numbers."""
        self._cancel_ok(data)

    @precondition(lambda self: self.ready)
    @rule(data=st.data(), case=st.sampled_from(["empty", "bad_dates", "not_held", "wrong_customer", "several"]))
    def cancel_refused(self, data: st.DataObject, case: str) -> None:
        """Staff record a paper form that must be refused."""
        self._cancel_refused(data, case)

    def _cancel_ok(self, data: st.DataObject) -> None:
        """A form for some of one customer's numbers, received on or after they were issued, maybe with future
        effect; the customer named on it or not, a number written twice, the effective date left to default."""
        who = data.draw(st.sampled_from(self._holders_with_numbers()))
        c = self.customers[who]
        numbers = self._draw_held(data, who)
        latest_issue = max(self.holders[n].issued_on for n in numbers)
        received_on = data.draw(st.dates(min_value=latest_issue, max_value=self.today))
        effective_on = received_on + dt.timedelta(days=data.draw(st.just(0) | st.integers(0, 60) | st.integers(0, 400)))
        customer_id = data.draw(st.none() | st.just(c.pk))
        form = numbers + data.draw(st.lists(st.sampled_from(numbers), max_size=2))
        before = _db_state()
        audit_before = AuditEntry.objects.count()

        cancellation = numbers_cancel(
            numbers=form,
            received_on=received_on,
            effective_on=None if effective_on == received_on and data.draw(st.booleans()) else effective_on,
            customer_id=customer_id,
            actor=TEST_ACTOR,
        )

        event("cancel with future effect" if effective_on > self.today else "cancel effective now or before")
        free_from = months_later(effective_on, QUARANTINE_MONTHS)
        cancellation.refresh_from_db()
        assert (cancellation.customer_id, cancellation.received_on, cancellation.effective_on) == (
            c.pk,
            received_on,
            effective_on,
        )
        assert sorted(cancellation.lines.values_list("number_id", flat=True)) == sorted(numbers)
        assert set(cancellation.lines.values_list("cancelled_on", flat=True)) == {effective_on}
        assert Cancellation.objects.count() == before["cancellations"] + 1
        assert Application.objects.count() == before["applications"]
        assert AuditEntry.objects.count() == audit_before + 1
        entry = _last_audit()
        assert (entry.action, entry.customer_id) == ("numbers.cancelled", c.pk)
        assert entry.detail["available_from"] == free_from.isoformat()

        self.cancelled += len(numbers)
        for n in numbers:
            c.held.discard(n)
            del self.holders[n]
            self.pool[n] = PoolNumber(assigned=False, available_from=free_from)
            self.quarantine_until[n] = free_from
            c.cancelled_later[n] = effective_on

    def _cancel_refused(self, data: st.DataObject, case: str) -> None:
        """Forms that must be refused, each with its own reason, changing nothing."""
        holders = self._holders_with_numbers()
        received_on = self.today - dt.timedelta(days=data.draw(st.integers(0, 30)))
        effective_on: dt.date | None = received_on + dt.timedelta(days=data.draw(st.integers(0, 30)))
        customer_id: int | None = None
        if case == "empty":
            numbers: list[str] = []
            expected: type[DomainError] = NothingToCancel
            customer_id = data.draw(st.none() | st.sampled_from([c.pk for c in self.customers]))
        elif case == "bad_dates" and holders:
            who = data.draw(st.sampled_from(holders))
            numbers = self._draw_held(data, who)
            effective_on = received_on - dt.timedelta(days=data.draw(st.integers(1, 30)))
            expected = BadCancellationDates
            customer_id = data.draw(st.none() | st.just(self.customers[who].pk))
        elif case == "wrong_customer" and holders:
            who = data.draw(st.sampled_from(holders))
            numbers = self._draw_held(data, who)
            other = data.draw(st.sampled_from([i for i in range(CUSTOMERS) if i != who]))
            customer_id = self.customers[other].pk
            expected = NumbersNotHeld
        elif case == "several" and len(holders) >= 2:
            first, second = data.draw(st.lists(st.sampled_from(holders), min_size=2, max_size=2, unique=True))
            numbers = self._draw_held(data, first) + self._draw_held(data, second)
            expected = NumbersOfSeveralCustomers
            if data.draw(st.booleans()):  # naming one of the two customers: the other's numbers are not held
                customer_id = self.customers[first].pk
                expected = NumbersNotHeld
        else:  # not_held (and the cases above when nobody holds numbers enough for them)
            not_held = [number_at(i) for i in range(UNIVERSE + 5) if number_at(i) not in self.holders]
            numbers = data.draw(st.lists(st.sampled_from(not_held), min_size=1, max_size=4, unique=True))
            with_held: bool = data.draw(st.booleans())
            if holders and with_held:
                who = data.draw(st.sampled_from(holders))
                numbers += self._draw_held(data, who)
                customer_id = data.draw(st.none() | st.just(self.customers[who].pk))
            else:
                customer_id = data.draw(st.none() | st.sampled_from([c.pk for c in self.customers]))
            expected = NumbersNotHeld
        if data.draw(st.booleans()) and effective_on == received_on:
            effective_on = None  # the default: effective the day received

        before = _db_state()
        with pytest.raises(DomainError) as refused:
            numbers_cancel(
                numbers=numbers,
                received_on=received_on,
                effective_on=effective_on,
                customer_id=customer_id,
                actor=TEST_ACTOR,
            )
        event(f"cancel refused: {refused.value.code}")
        assert type(refused.value) is expected, f"refused with {refused.value!r}, the model expected {expected}"
        assert _db_state() == before, "a refused cancellation changed something"

    # ---- after every step -----------------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        if not self.ready:
            return
        broken = [r for r in invariants_check() if not r.ok]
        assert not broken, "; ".join(f"invariant {r.invariant} ({r.description}): {r.examples}" for r in broken)

    @invariant()
    def database_matches_model(self) -> None:
        if not self.ready:
            return
        assert clock.today() == self.today

        # Each customer's counter, limit and status.
        rows = {
            pk: rest for pk, *rest in Customer.objects.values_list("pk", "numbers_added", "addition_limit", "status")
        }
        assert rows == {
            c.pk: [c.added, c.limit, Customer.Status.ACTIVE if c.active else Customer.Status.SUSPENDED]
            for c in self.customers
        }
        assert all(c.added <= c.limit for c in self.customers)

        # Who holds what: no number held twice, the lines not cancelled are exactly the model's.
        seen: set[str] = set()
        for c in self.customers:
            assert not (c.held & seen), "a number held by two customers"
            seen |= c.held
        lines = sorted(IssuedLine.objects.not_cancelled().values_list("number_id", "customer_id"))
        assert lines == sorted((n, self.customers[h.customer].pk) for n, h in self.holders.items())
        # live(): a number stays the customer's until its cancellation takes effect.
        live = sorted(IssuedLine.objects.live().values_list("customer_id", "number_id"))
        assert live == sorted(
            [(c.pk, n) for c in self.customers for n in c.held]
            + [
                (c.pk, n)
                for c in self.customers
                for n, effective in c.cancelled_later.items()
                if effective > self.today
            ]
        )

        # The pool, number by number, and what is issuable today.
        pool = {
            n: (status, day) for n, status, day in PhoneNumber.objects.values_list("number", "status", "available_from")
        }
        assert pool == {
            n: (PhoneNumber.Status.ASSIGNED if p.assigned else PhoneNumber.Status.FREE, p.available_from)
            for n, p in self.pool.items()
        }
        assert set(self.holders) == {n for n, p in self.pool.items() if p.assigned}
        issuable = list(PhoneNumber.objects.issuable().in_issue_order().values_list("number", flat=True))
        assert issuable == self.issuable()
        for n in issuable:
            assert self.today >= self.quarantine_until.get(n, dt.date.min), f"{n} issuable during its quarantine"

        # Applications: one per idempotency key and customer, as the model recorded them.
        applications = sorted(Application.objects.values_list("customer_id", "idempotency_key", "application_number"))
        assert applications == sorted(
            (c.pk, key, number) for c in self.customers for key, (number, _) in c.applications.items()
        )


SETTINGS = hypothesis_settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _check_settings() -> None:
    # The model hard-codes docs/rules.md's values; say so plainly if the test settings differ.
    assert settings.SELFCARE_MAX_NUMBERS_PER_APPLICATION == MAX_PER_APPLICATION
    assert settings.SELFCARE_QUARANTINE_MONTHS == QUARANTINE_MONTHS
    assert settings.SELFCARE_DEFAULT_ADDITION_LIMIT == DEFAULT_LIMIT
    assert settings.TIME_ZONE == "Asia/Tokyo"


def test_random_sequences_of_imports_additions_cancellations_limits_and_clock_jumps_keep_the_model(db):
    _check_settings()
    run_state_machine_as_test(NumbersMachine, settings=SETTINGS)


# Stops at the first failure, and skips the explain phase: it takes minutes over a database.
@hypothesis_settings(
    SETTINGS,
    max_examples=20,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
@given(
    issued_on=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31)),
    at=TIMES_OF_DAY,
    count=st.integers(1, 3),
    days_before_issue=st.integers(1, 400),
    received_days_earlier=st.integers(0, 10),
)
def test_a_cancellation_cannot_take_effect_before_the_number_was_issued(
    db, issued_on: dt.date, at: dt.time, count: int, days_before_issue: int, received_days_earlier: int
):
    """A form dated before the customer even had the number must not cut its quarantine short.

    The state machine above only records forms received on or after the numbers were issued. Here the
    cancellation is said to take effect before that: the form should be refused (nothing changes), or at
    the very least the number must wait a full quarantine from the day it was issued before anyone else
    can get it (invariant 5).
    """
    _check_settings()
    _delete_everything()
    with time_machine.travel(dt.datetime.combine(issued_on, at, tzinfo=TOKYO), tick=False):
        plan = PlanFactory()
        holder, other = cast(Customer, CustomerFactory(plan=plan)), cast(Customer, CustomerFactory(plan=plan))
        numbers_import(numbers=iter_range(number_at(0), number_at(count - 1)), actor=TEST_ACTOR)
        placement = numbers_add(customer_id=holder.pk, count=count, idempotency_key="k1", actor=TEST_ACTOR)
        numbers = list(placement.application.lines.values_list("number_id", flat=True))
        effective_on = issued_on - dt.timedelta(days=days_before_issue)
        before = _db_state()
        try:
            numbers_cancel(
                numbers=numbers,
                received_on=effective_on - dt.timedelta(days=received_days_earlier),
                effective_on=effective_on,
                customer_id=holder.pk,
                actor=TEST_ACTOR,
            )
        except DomainError:
            assert _db_state() == before, "a refused cancellation changed something"
            return

        # Accepted: the same day, another customer applies.
        try:
            reissued = numbers_add(customer_id=other.pk, count=1, idempotency_key="k1", actor=TEST_ACTOR)
        except PoolShort:
            pass
        else:
            number = reissued.application.lines.get().number_id
            assert number not in numbers, (
                f"{number} was issued on {issued_on}, cancelled with effect from {effective_on} and issued to "
                "another customer the same day, with no quarantine at all"
            )
        free_from = dict(PhoneNumber.objects.filter(number__in=numbers).values_list("number", "available_from"))
        full_quarantine = months_later(issued_on, QUARANTINE_MONTHS)
        assert all(day >= full_quarantine for day in free_from.values()), (
            f"issued on {issued_on}, cancelled with effect from {effective_on} (before it was issued): back in "
            f"the pool from {free_from}, before a full quarantine from the day it was issued ({full_quarantine})"
        )
