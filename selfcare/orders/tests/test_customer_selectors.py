"""What the portal reads about a customer's numbers and applications (orders.selectors)."""

from __future__ import annotations

import datetime as dt

import pytest

from selfcare.orders import selectors
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.testing import CustomerFactory


@pytest.fixture
def placed(customer, pool, actor):
    return numbers_add(customer_id=customer.pk, count=3, idempotency_key="key-1", actor=actor).application


def test_an_application_shows_its_lines_with_their_passwords_inside_the_window(customer, placed, settings):
    settings.SELFCARE_SHOW_PASSWORDS_MINUTES = 30

    shown = selectors.application_of_customer(customer_id=customer.pk, application_number=placed.application_number)

    assert shown is not None and shown.application == placed
    assert shown.passwords_shown and shown.window_minutes == 30
    lines = list(IssuedLine.objects.filter(application=placed).order_by("number_id"))
    assert [row.number for row in shown.lines] == [str(line.number) for line in lines]
    assert [(row.service_pin, row.sip_password) for row in shown.lines] == [
        (line.service_pin(), line.sip_password()) for line in lines
    ]


def test_after_the_window_no_password_is_decrypted(customer, placed, settings, time_machine):
    settings.SELFCARE_SHOW_PASSWORDS_MINUTES = 30
    time_machine.move_to(placed.placed_at + dt.timedelta(minutes=31))

    shown = selectors.application_of_customer(customer_id=customer.pk, application_number=placed.application_number)

    assert shown is not None and not shown.passwords_shown
    assert all(row.service_pin is None and row.sip_password is None for row in shown.lines)
    assert not selectors.passwords_shown(placed_at=placed.placed_at)


def test_an_application_shown_costs_two_queries(customer, placed, django_assert_num_queries):
    with django_assert_num_queries(2):
        selectors.application_of_customer(customer_id=customer.pk, application_number=placed.application_number)


def test_a_customer_reads_only_their_own(customer, placed, plan):
    other = CustomerFactory(plan=plan)
    number = placed.application_number

    assert selectors.application_of_customer(customer_id=other.pk, application_number=number) is None
    assert not selectors.lines_of_customer(customer_id=other.pk).exists()
    assert not selectors.applications_of_customer(customer_id=other.pk).exists()
    assert selectors.application_by_idempotency_key(customer_id=other.pk, idempotency_key="key-1") is None
    assert selectors.application_by_idempotency_key(customer_id=customer.pk, idempotency_key="key-1") == placed
    assert list(selectors.applications_of_customer(customer_id=customer.pk)) == [placed]
    assert selectors.lines_of_customer(customer_id=customer.pk).count() == 3
