"""The lean placement path: the clash of random application numbers without a savepoint, the claim in one
statement, an application written one statement per table (docs/benchmarks.md, Where the time goes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from selfcare.audit.models import AuditEntry
from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.inventory.tally import HELD, pool_tally
from selfcare.orders import services
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, pool_add


def _add(customer, count, key):
    return numbers_add(customer_id=customer.pk, count=count, idempotency_key=key, actor=TEST_ACTOR)


def _days_ago(days):
    return clock.today() - dt.timedelta(days=days)


def test_given_a_drawn_application_number_already_taken_when_adding_then_another_is_drawn(customer, pool, monkeypatch):
    first = _add(customer, 1, "k-1").application
    drawn = iter([first.application_number, "261124-NEWNUMBR"])
    monkeypatch.setattr(services, "new_application_number", lambda: next(drawn))

    placement = _add(customer, 2, "k-2")

    assert placement.created
    assert placement.application.application_number == "261124-NEWNUMBR"
    assert Application.objects.get(pk=placement.application.pk).application_number == "261124-NEWNUMBR"
    assert IssuedLine.objects.filter(application=placement.application).count() == 2
    assert Application.objects.get(pk=first.pk).count == 1  # the first application is untouched


def test_given_every_drawn_number_taken_when_adding_then_nothing_is_issued(customer, pool, monkeypatch):
    taken = _add(customer, 1, "k-1").application.application_number
    monkeypatch.setattr(services, "new_application_number", lambda: taken)

    with pytest.raises(IntegrityError):
        _add(customer, 3, "k-2")

    assert Application.objects.filter(customer=customer).count() == 1
    assert IssuedLine.objects.filter(customer=customer).count() == 1
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.ASSIGNED).count() == 1
    assert AuditEntry.objects.filter(action="application.placed").count() == 1


def test_given_an_application_when_placed_then_the_returned_object_is_the_row_as_stored(customer, pool):
    placement = _add(customer, 3, "k-1")

    stored = Application.objects.get(pk=placement.application.pk)
    for field in ("application_number", "customer_id", "count", "monthly_fee_per_number", "plan_code", "placed_at"):
        assert getattr(placement.application, field) == getattr(stored, field), field
    assert not placement.application._state.adding
    lines = list(IssuedLine.objects.filter(application=stored).order_by("number_id"))
    assert [line.issued_at for line in lines] == [stored.placed_at] * 3
    assert [line.customer_id for line in lines] == [customer.pk] * 3


def test_given_numbers_of_two_days_when_adding_then_each_day_gives_up_what_was_taken_from_it(customer, db):
    pool_add("05000000100", 2, available_from=_days_ago(30))
    pool_add("05000000200", 2, available_from=_days_ago(10))

    _add(customer, 3, "k-1")

    tally = pool_tally()
    assert tally[HELD] == 3
    assert tally.get(_days_ago(30), 0) == 0
    assert tally[_days_ago(10)] == 1


def test_given_an_application_when_placed_then_numbers_and_lines_are_written_in_one_statement_each(customer, pool):
    with CaptureQueriesContext(connection) as queries:
        _add(customer, 10, "k-1")

    sql = [query["sql"] for query in queries.captured_queries]
    assert sum("inventory_phonenumber" in s and s.lstrip().upper().startswith(("UPDATE", "WITH")) for s in sql) == 1
    assert (
        sum(
            s.startswith('INSERT INTO "orders_issuedline"') or s.startswith("INSERT INTO orders_issuedline")
            for s in sql
        )
        == 1
    )
    # the test's own transaction makes numbers_add's atomic block a savepoint: that one and no other
    assert sum(s.upper().startswith("SAVEPOINT") for s in sql) == 1
