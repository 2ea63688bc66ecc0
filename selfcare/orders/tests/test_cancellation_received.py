"""rules.md, *cancellation*: a form received before a number was issued cannot be for that number."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from selfcare.orders.errors import FormReceivedBeforeIssue
from selfcare.orders.models import Cancellation
from selfcare.orders.selectors import cancellation_lines
from selfcare.orders.services import numbers_add, numbers_cancel
from selfcare.testing import TEST_ACTOR, at_tokyo, pool_add

D = dt.date


@pytest.fixture
def issued(customer):
    """Two numbers issued on 2024-01-10 and one on 2024-02-01, all the customer's."""
    pool_add("05000000000", 3, available_from=D(2024, 1, 1))
    with at_tokyo(D(2024, 1, 10)):
        numbers_add(customer_id=customer.pk, count=2, idempotency_key="january", actor=TEST_ACTOR)
    with at_tokyo(D(2024, 2, 1)):
        numbers_add(customer_id=customer.pk, count=1, idempotency_key="february", actor=TEST_ACTOR)
    return customer


def test_given_a_form_received_before_one_numbers_issue_then_refused_naming_it(issued):
    numbers = ["05000000000", "05000000001", "05000000002"]
    with at_tokyo(D(2024, 3, 1)):
        with pytest.raises(FormReceivedBeforeIssue) as refusal:
            numbers_cancel(
                customer_id=issued.pk,
                numbers=numbers,
                received_on=D(2024, 1, 20),  # after the January numbers, before the February one
                effective_on=D(2024, 3, 1),  # a day every number was held on: only the receipt is wrong
                actor=TEST_ACTOR,
            )
        with pytest.raises(FormReceivedBeforeIssue):  # the confirmation page's check says the same
            cancellation_lines(
                customer_id=issued.pk, numbers=numbers, effective_on=D(2024, 3, 1), received_on=D(2024, 1, 20)
            )
    assert refusal.value.params == {"number": "050-0000-0002", "issued_on": "2024-02-01", "received_on": "2024-01-20"}
    assert not Cancellation.objects.exists()


def test_given_a_form_received_on_the_issue_day_then_recorded(issued):
    with at_tokyo(D(2024, 3, 1)):
        numbers_cancel(
            customer_id=issued.pk,
            numbers=["05000000002"],
            received_on=D(2024, 2, 1),
            effective_on=D(2024, 3, 1),
            actor=TEST_ACTOR,
        )
    assert Cancellation.objects.count() == 1


def test_given_the_command_with_a_form_received_before_the_issue_then_refused(issued):
    with at_tokyo(D(2024, 3, 1)), pytest.raises(CommandError, match="050-0000-0002"):
        call_command(
            "cancel_numbers",
            "05000000002",
            "--received-on",
            "2024-01-20",
            "--effective-on",
            "2024-03-01",
            stdout=StringIO(),
        )
    assert not Cancellation.objects.exists()
