"""Paper cancellations and the quarantine that follows (docs/rules.md "cancellation", invariants 1 and 5)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from selfcare.accounts.models import User
from selfcare.audit.models import AuditEntry
from selfcare.audit.services import Actor
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.errors import (
    BadCancellationDates,
    NothingToCancel,
    NumbersNotHeld,
    NumbersOfSeveralCustomers,
    PoolShort,
)
from selfcare.orders.invariants import invariants_check
from selfcare.orders.models import Cancellation, IssuedLine
from selfcare.orders.services import numbers_cancel, quarantine_end
from selfcare.testing import TEST_ACTOR, CustomerFactory, at_tokyo, issue, pool_add

D = dt.date


@pytest.fixture
def holder(customer):
    """On 2024-01-10 the customer is issued all 3 numbers of the pool."""
    with at_tokyo(D(2024, 1, 10)):
        pool_add("05000000000", 3, available_from=D(2024, 1, 1))
        numbers = issue(customer, 3, "holder")
    return customer, numbers


def _number(number: str) -> PhoneNumber:
    return PhoneNumber.objects.get(number=number)


def _nothing_cancelled(numbers):
    assert not Cancellation.objects.exists()
    assert IssuedLine.objects.filter(number_id__in=numbers, cancellation__isnull=False).count() == 0
    assert all(_number(n).status == PhoneNumber.Status.ASSIGNED for n in numbers)
    assert not AuditEntry.objects.filter(action="numbers.cancelled").exists()


# --- the quarantine end, in calendar months --------------------------------------------------------


@pytest.mark.parametrize(
    ("effective_on", "first_day_again"),
    [
        (D(2024, 8, 31), D(2025, 2, 28)),
        (D(2024, 2, 29), D(2024, 8, 29)),
        (D(2024, 12, 15), D(2025, 6, 15)),
        (D(2024, 12, 31), D(2025, 6, 30)),
        (D(2023, 8, 31), D(2024, 2, 29)),
        (D(2024, 7, 1), D(2025, 1, 1)),
    ],
)
def test_given_an_effective_date_when_computing_the_quarantine_end_then_six_calendar_months_clamped(
    effective_on, first_day_again
):
    assert quarantine_end(effective_on) == first_day_again


def test_given_a_quarantine_setting_of_three_months_when_computing_the_end_then_the_setting_is_used(settings):
    settings.SELFCARE_QUARANTINE_MONTHS = 3

    assert quarantine_end(D(2024, 11, 30)) == D(2025, 2, 28)


@pytest.mark.parametrize(
    ("effective_on", "first_day_again"),
    [
        (D(2024, 8, 31), D(2025, 2, 28)),
        (D(2024, 2, 29), D(2024, 8, 29)),
        (D(2024, 12, 10), D(2025, 6, 10)),
    ],
)
def test_given_a_cancellation_when_recorded_then_the_number_waits_until_the_quarantine_end(
    holder, effective_on, first_day_again
):
    customer, numbers = holder

    with at_tokyo(D(2024, 2, 20)):
        cancellation = numbers_cancel(
            numbers=[numbers[0]], received_on=D(2024, 2, 20), effective_on=effective_on, actor=TEST_ACTOR
        )

    number = _number(numbers[0])
    assert number.status == PhoneNumber.Status.FREE
    assert number.available_from == first_day_again
    line = IssuedLine.objects.get(number_id=numbers[0])
    assert line.cancellation == cancellation
    assert line.cancelled_on == effective_on
    assert cancellation.customer_id == customer.pk
    assert cancellation.received_on == D(2024, 2, 20)
    assert cancellation.effective_on == effective_on
    entry = AuditEntry.objects.get(action="numbers.cancelled")
    assert entry.customer_id == customer.pk
    assert entry.detail == {
        "numbers": [numbers[0]],
        "received_on": "2024-02-20",
        "effective_on": effective_on.isoformat(),
        "available_from": first_day_again.isoformat(),
    }
    # The other numbers are untouched.
    assert all(_number(n).status == PhoneNumber.Status.ASSIGNED for n in numbers[1:])
    assert IssuedLine.objects.not_cancelled().filter(number_id__in=numbers[1:]).count() == 2


def test_given_no_effective_date_when_cancelling_then_it_takes_effect_on_the_day_received(holder):
    _, numbers = holder

    with at_tokyo(D(2024, 3, 5)):
        cancellation = numbers_cancel(numbers=numbers[:2], received_on=D(2024, 3, 5), actor=TEST_ACTOR)

    assert cancellation.effective_on == D(2024, 3, 5)
    assert {_number(n).available_from for n in numbers[:2]} == {D(2024, 9, 5)}
    assert cancellation.lines.count() == 2


def test_given_staff_recording_a_form_when_cancelling_then_the_staff_member_is_on_record(holder):
    _, numbers = holder
    staff = User.objects.create_user(username="operator1", password=None, is_staff=True)

    with at_tokyo(D(2024, 3, 5)):
        cancellation = numbers_cancel(
            numbers=[numbers[0], numbers[0]],
            received_on=D(2024, 3, 5),
            actor=Actor.staff(staff, ip_address="198.51.100.7"),
            note="書面受領",
        )

    assert cancellation.recorded_by == staff
    assert cancellation.note == "書面受領"
    assert cancellation.lines.count() == 1
    entry = AuditEntry.objects.get(action="numbers.cancelled")
    assert entry.actor_kind == AuditEntry.ActorKind.STAFF
    assert entry.actor_user_id == staff.pk
    assert entry.ip_address == "198.51.100.7"


# --- issuable exactly from the quarantine end -------------------------------------------------------


def test_given_a_quarantine_ending_tomorrow_when_another_customer_adds_then_the_number_is_not_issued(holder):
    _, numbers = holder
    with at_tokyo(D(2024, 8, 31)):
        numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 8, 31), actor=TEST_ACTOR)
    newcomer = CustomerFactory()

    with at_tokyo(D(2025, 2, 27), 23, 59, 59):
        assert not PhoneNumber.objects.issuable().filter(number=numbers[0]).exists()
        assert PhoneNumber.objects.in_quarantine().filter(number=numbers[0]).exists()
        with pytest.raises(PoolShort):
            issue(newcomer, 1, "too-early")

    assert IssuedLine.objects.filter(number_id=numbers[0]).count() == 1


def test_given_a_quarantine_ending_today_when_another_customer_adds_then_the_number_is_issued(holder):
    _, numbers = holder
    with at_tokyo(D(2024, 8, 31)):
        numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 8, 31), actor=TEST_ACTOR)
    newcomer = CustomerFactory()

    # 00:00:30 in Tokyo is still the day before in UTC: the carrier's calendar decides.
    with at_tokyo(D(2025, 2, 28), 0, 0, 30):
        assert PhoneNumber.objects.issuable().filter(number=numbers[0]).exists()
        assert issue(newcomer, 1, "on-the-day") == [numbers[0]]

    assert [result.description for result in invariants_check() if not result.ok] == []


def test_given_a_cancelled_number_when_reissued_after_quarantine_then_both_owners_stay_on_record(holder):
    former, numbers = holder
    with at_tokyo(D(2024, 8, 31)):
        numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 8, 31), actor=TEST_ACTOR)
    newcomer = CustomerFactory()

    with at_tokyo(D(2025, 3, 3)):
        assert issue(newcomer, 1, "reissue") == [numbers[0]]

        lines = list(IssuedLine.objects.filter(number_id=numbers[0]).order_by("issued_at"))
        assert [line.customer_id for line in lines] == [former.pk, newcomer.pk]
        assert lines[0].cancelled_on == D(2024, 8, 31)
        assert lines[1].cancellation_id is None
        assert _number(numbers[0]).status == PhoneNumber.Status.ASSIGNED
        assert list(IssuedLine.objects.live().filter(number_id=numbers[0]).values_list("customer_id", flat=True)) == [
            newcomer.pk
        ]
        assert not IssuedLine.objects.live().filter(customer=former, number_id=numbers[0]).exists()
        assert IssuedLine.objects.filter(customer=former).count() == 3

        failed = [result for result in invariants_check() if not result.ok]
        assert failed == []
        out = StringIO()
        call_command("check_invariants", stdout=out)
        assert "All 11 checks passed" in out.getvalue()
        assert "FAIL" not in out.getvalue()


def test_given_a_reissued_number_when_its_new_owner_cancels_then_it_waits_a_new_quarantine(holder):
    _, numbers = holder
    with at_tokyo(D(2024, 8, 31)):
        numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 8, 31), actor=TEST_ACTOR)
    newcomer = CustomerFactory()
    with at_tokyo(D(2025, 3, 3)):
        issue(newcomer, 1, "reissue")

    with at_tokyo(D(2025, 4, 30)):
        cancellation = numbers_cancel(numbers=[numbers[0]], received_on=D(2025, 4, 30), actor=TEST_ACTOR)

    assert cancellation.customer_id == newcomer.pk
    assert _number(numbers[0]).available_from == D(2025, 10, 30)
    assert IssuedLine.objects.filter(number_id=numbers[0], cancellation__isnull=False).count() == 2
    assert all(result.ok for result in invariants_check())


# --- held until the effective date ----------------------------------------------------------------


def test_given_a_future_effective_date_when_cancelled_then_the_number_stays_held_until_that_day(holder):
    customer, numbers = holder
    with at_tokyo(D(2024, 8, 20)):
        numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 8, 20), effective_on=D(2024, 9, 10), actor=TEST_ACTOR)
    newcomer = CustomerFactory()

    with at_tokyo(D(2024, 9, 9), 23, 59, 59):
        live = set(IssuedLine.objects.live().filter(customer=customer).values_list("number_id", flat=True))
        assert live == set(numbers)
        with pytest.raises(PoolShort):
            issue(newcomer, 1, "while-held")

    with at_tokyo(D(2024, 9, 10), 0, 0, 1):
        live = set(IssuedLine.objects.live().filter(customer=customer).values_list("number_id", flat=True))
        assert live == set(numbers[1:])
        assert not PhoneNumber.objects.issuable().filter(number=numbers[0]).exists()

    assert _number(numbers[0]).available_from == D(2025, 3, 10)


def test_given_a_cancellation_not_yet_in_effect_when_cancelling_again_then_refused(holder):
    _, numbers = holder
    with at_tokyo(D(2024, 8, 20)):
        numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 8, 20), effective_on=D(2024, 9, 10), actor=TEST_ACTOR)

        with pytest.raises(NumbersNotHeld):
            numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 8, 21), actor=TEST_ACTOR)

    assert Cancellation.objects.count() == 1
    assert _number(numbers[0]).available_from == D(2025, 3, 10)


# --- refusals ------------------------------------------------------------------------------------


def test_given_an_effective_date_before_the_received_date_when_cancelling_then_refused(holder):
    _, numbers = holder

    with at_tokyo(D(2024, 3, 5)), pytest.raises(BadCancellationDates) as refused:
        numbers_cancel(numbers=numbers, received_on=D(2024, 3, 5), effective_on=D(2024, 3, 4), actor=TEST_ACTOR)

    assert refused.value.params == {"effective_on": "2024-03-04", "received_on": "2024-03-05"}
    _nothing_cancelled(numbers)


def test_given_no_numbers_when_cancelling_then_nothing_to_cancel(holder):
    _, numbers = holder

    with pytest.raises(NothingToCancel):
        numbers_cancel(numbers=[], received_on=D(2024, 3, 5), actor=TEST_ACTOR)

    _nothing_cancelled(numbers)


def test_given_a_number_in_the_pool_never_issued_when_cancelling_then_not_held(holder):
    _, numbers = holder
    with at_tokyo(D(2024, 1, 10)):
        free = pool_add("05000000100", 1, available_from=D(2024, 1, 1))

    with pytest.raises(NumbersNotHeld) as refused:
        numbers_cancel(numbers=free, received_on=D(2024, 3, 5), actor=TEST_ACTOR)

    assert "050-0000-0100" in str(refused.value)
    assert _number(free[0]).status == PhoneNumber.Status.FREE
    _nothing_cancelled(numbers)


def test_given_an_unknown_number_when_cancelling_then_not_held(holder):
    _, numbers = holder

    with pytest.raises(NumbersNotHeld):
        numbers_cancel(numbers=["05099999999"], received_on=D(2024, 3, 5), actor=TEST_ACTOR)

    _nothing_cancelled(numbers)


def test_given_one_held_and_one_not_held_number_when_cancelling_then_refused_naming_the_stranger(holder):
    _, numbers = holder
    with at_tokyo(D(2024, 1, 10)):
        free = pool_add("05000000100", 1, available_from=D(2024, 1, 1))

    with pytest.raises(NumbersNotHeld) as refused:
        numbers_cancel(numbers=[numbers[0], free[0]], received_on=D(2024, 3, 5), actor=TEST_ACTOR)

    assert refused.value.params == {"numbers": "050-0000-0100"}
    _nothing_cancelled(numbers)


def test_given_a_number_of_another_customer_when_cancelling_for_this_customer_then_not_held(holder):
    _, numbers = holder
    stranger = CustomerFactory()

    with pytest.raises(NumbersNotHeld):
        numbers_cancel(numbers=[numbers[0]], customer_id=stranger.pk, received_on=D(2024, 3, 5), actor=TEST_ACTOR)

    _nothing_cancelled(numbers)


def test_given_numbers_of_two_customers_when_cancelling_on_one_form_then_refused(holder):
    _, numbers = holder
    other = CustomerFactory()
    with at_tokyo(D(2024, 1, 11)):
        pool_add("05000000100", 2, available_from=D(2024, 1, 1))
        others = issue(other, 2, "other")

    with pytest.raises(NumbersOfSeveralCustomers):
        numbers_cancel(numbers=[numbers[0], others[0]], received_on=D(2024, 3, 5), actor=TEST_ACTOR)

    _nothing_cancelled(numbers + others)


def test_given_an_already_cancelled_number_when_cancelling_again_then_not_held(holder):
    _, numbers = holder
    with at_tokyo(D(2024, 3, 5)):
        numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 3, 5), actor=TEST_ACTOR)

        with pytest.raises(NumbersNotHeld):
            numbers_cancel(numbers=[numbers[0]], received_on=D(2024, 3, 6), actor=TEST_ACTOR)

    assert Cancellation.objects.count() == 1
    assert _number(numbers[0]).available_from == D(2024, 9, 5)
