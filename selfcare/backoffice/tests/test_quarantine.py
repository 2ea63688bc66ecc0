"""A paper cancellation recorded in the back office, the number's quarantine, and its reissue once it is over."""

from __future__ import annotations

import datetime as dt

import pytest

from selfcare.backoffice.tests.conftest import CUSTOMER_CENTRE, audit, error_list_text, html
from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.errors import PoolShort
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add, quarantine_end
from selfcare.testing import TEST_ACTOR, CustomerFactory, at_tokyo, frozen_at, pool_add, tokyo_time

NUMBER = "05012340000"


def add_one(customer, key: str):
    return numbers_add(customer_id=customer.pk, count=1, idempotency_key=key, actor=TEST_ACTOR)


@pytest.fixture
def one_number(db, plan):
    """A pool of exactly one number, held by the first customer: 'not issuable' then means nobody gets anything."""
    pool_add(NUMBER, 1)
    first = CustomerFactory(plan=plan)
    placement = add_one(first, "first")
    assert [line.number_id for line in placement.application.lines.all()] == [NUMBER]
    return first


def test_cancel_then_quarantine_then_reissue(make_staff, plan, one_number):
    first = one_number
    second = CustomerFactory(plan=plan)
    staff = make_staff(CUSTOMER_CENTRE)
    today = clock.today()
    effective = today + dt.timedelta(days=10)

    response = staff.post(
        "/staff/orders/cancellation/add/",
        {
            "customer": first.selfcare_id,
            "confirm": "1",
            "numbers": "050-1234-0000",
            "received_on": today.isoformat(),
            "effective_on": effective.isoformat(),
        },
    )
    assert response.status_code == 302, error_list_text(response)
    reopens = quarantine_end(effective)
    assert reopens == clock.add_months(effective, 6)
    number = PhoneNumber.objects.get(pk=NUMBER)
    assert (number.status, number.available_from) == ("free", reopens)
    # Until the cancellation takes effect the first customer still holds the number.
    assert IssuedLine.objects.live().filter(customer=first, number_id=NUMBER).exists()

    # Not issuable on the day the cancellation takes effect, nor at the last second of the day before reopening.
    for moment in (tokyo_time(effective, 12), tokyo_time(reopens - dt.timedelta(days=1), 23, 59, 59)):
        with frozen_at(moment):
            assert not PhoneNumber.objects.issuable().exists()
            with pytest.raises(PoolShort):
                add_one(second, f"try-{moment:%Y%m%d}")
    assert not IssuedLine.objects.filter(customer=second).exists()
    refusals = list(audit("application.refused", customer=second))
    assert [entry.detail["reason"] for entry in refusals] == ["pool_short", "pool_short"]

    # One second into the reopening day in Tokyo (still the day before in UTC): issued to the second customer.
    with at_tokyo(reopens, 0, 0, 1):
        placement = add_one(second, "after-quarantine")
        assert [line.number_id for line in placement.application.lines.all()] == [NUMBER]
    assert PhoneNumber.objects.get(pk=NUMBER).status == "assigned"
    assert IssuedLine.objects.filter(number_id=NUMBER).count() == 2
    assert IssuedLine.objects.filter(number_id=NUMBER, cancellation__isnull=True).get().customer == second

    # The number's page lists both owners, newest first.
    response = staff.get(f"/staff/inventory/phonenumber/{NUMBER}/change/")
    assert response.status_code == 200
    page = html(response)
    assert first.selfcare_id in page and second.selfcare_id in page
    assert page.index(second.selfcare_id) < page.index(first.selfcare_id), "newest owner first"
    assert effective.isoformat() in page or f"{effective.year}年{effective.month}月{effective.day}日" in page


def test_a_cancelled_number_waits_while_fresh_numbers_are_issued(make_staff, plan, one_number):
    """With other numbers free, a customer adding before the quarantine ends gets those, never the cancelled one."""
    first = one_number
    pool_add("05012340001", 2)
    second, third = CustomerFactory(plan=plan), CustomerFactory(plan=plan)
    staff = make_staff(CUSTOMER_CENTRE)
    today = clock.today()
    response = staff.post(
        "/staff/orders/cancellation/add/",
        {
            "customer": first.selfcare_id,
            "numbers": "０５０ー１２３４ー００００",
            "received_on": today.isoformat(),
            "confirm": "1",
        },
    )
    assert response.status_code == 302, error_list_text(response)
    reopens = quarantine_end(today)

    with at_tokyo(reopens - dt.timedelta(days=1), 18):
        got = [line.number_id for line in add_one(second, "before").application.lines.all()]
    assert got == ["05012340001"]
    with at_tokyo(reopens, 9):
        got = [line.number_id for line in add_one(third, "after").application.lines.all()]
    # Issue order: oldest available_from first, so the fresh 05012340002 (available since import) goes first.
    assert got == ["05012340002"]
    with at_tokyo(reopens, 9, 5):
        got = [line.number_id for line in add_one(third, "after-2").application.lines.all()]
    assert got == [NUMBER]
