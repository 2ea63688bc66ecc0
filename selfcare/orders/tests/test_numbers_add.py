"""050番号追加申込: the rules of numbers_add, each with its edges (docs/rules.md, business rules; invariants 2-4, 6)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection

from selfcare.accounts.models import Customer
from selfcare.accounts.services import customer_set_limit
from selfcare.audit.models import AuditEntry
from selfcare.audit.services import Actor
from selfcare.core import clock, crypto
from selfcare.inventory.models import PhoneNumber
from selfcare.letters.models import Letter
from selfcare.orders import services
from selfcare.orders.errors import BadCount, CustomerSuspended, LimitReached, PoolShort
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, TOKYO, CustomerFactory, PlanFactory, pool_add

LOOK_ALIKES = set("0Oo1lI")


def _add(customer, count, key="key-1", actor=None):
    return numbers_add(customer_id=customer.pk, count=count, idempotency_key=key, actor=actor or TEST_ACTOR)


def _refusals(customer):
    return list(AuditEntry.objects.filter(action="application.refused", customer_id=customer.pk))


def _assert_nothing_issued(customer, numbers_added=0):
    customer.refresh_from_db()
    assert customer.numbers_added == numbers_added
    assert not Application.objects.filter(customer=customer).exists()
    assert not IssuedLine.objects.filter(customer=customer).exists()
    assert not Letter.objects.filter(customer=customer).exists()
    assert not AuditEntry.objects.filter(action="application.placed", customer_id=customer.pk).exists()


# --- 追加番号数: what is accepted ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, 1),
        (50, 50),
        ("1", 1),
        ("50", 50),
        ("１０", 10),
        (" 3 ", 3),
        ("\u3000７\u3000", 7),
        ("\t2\n", 2),
    ],
    ids=["int-1", "int-50", "str-1", "str-50", "fullwidth-10", "spaces-3", "fullwidth-spaces-7", "tab-newline-2"],
)
def test_given_a_valid_count_when_adding_then_exactly_that_many_numbers_are_issued(customer, pool, raw, expected):
    placement = _add(customer, raw)

    assert placement.created
    application = placement.application
    assert application.count == expected
    assert application.lines.count() == expected
    assert [line.number_id for line in application.lines.order_by("number")] == pool[:expected]
    customer.refresh_from_db()
    assert customer.numbers_added == expected
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.ASSIGNED).count() == expected


@pytest.mark.parametrize(
    "raw",
    [0, -1, 51, "0", "-1", "51", "５１", "1.5", "abc", "", "   ", "1 0", "+", "1e1", "9" * 400, "1" * 400, True, False],
    ids=[
        "int-0",
        "int-minus-1",
        "int-51",
        "str-0",
        "str-minus-1",
        "str-51",
        "fullwidth-51",
        "decimal",
        "letters",
        "empty",
        "blank",
        "inner-space",
        "plus-sign",
        "exponent",
        "400-nines",
        "400-ones",
        "bool-true",
        "bool-false",
    ],
)
def test_given_a_bad_count_when_adding_then_bad_count_and_nothing_is_issued(customer, pool, raw):
    with pytest.raises(BadCount) as refused:
        _add(customer, raw)

    assert refused.value.params == {"minimum": 1, "maximum": 50}
    _assert_nothing_issued(customer)
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.FREE).count() == len(pool)
    [entry] = _refusals(customer)
    assert entry.detail["reason"] == "bad_count"
    assert len(entry.detail["requested"]) <= 10


# --- cumulative limit ----------------------------------------------------------------------------


def test_given_fifty_added_when_adding_one_more_then_limit_reached_with_nothing_remaining(customer, pool):
    _add(customer, 50, key="first")

    with pytest.raises(LimitReached) as refused:
        _add(customer, 1, key="second")

    assert refused.value.params == {"limit": 50, "remaining": 0}
    customer.refresh_from_db()
    assert customer.numbers_added == 50
    assert Application.objects.filter(customer=customer).count() == 1
    assert IssuedLine.objects.filter(customer=customer).count() == 50
    [entry] = _refusals(customer)
    assert entry.detail["reason"] == "limit_reached"
    assert entry.detail["limit"] == 50
    assert entry.detail["remaining"] == 0


def test_given_thirty_added_when_adding_twenty_one_then_refused_and_twenty_then_the_limit_is_met_exactly(
    customer, pool
):
    _add(customer, 30, key="a")

    with pytest.raises(LimitReached) as refused:
        _add(customer, 21, key="b")
    assert refused.value.params["remaining"] == 20
    assert "20" in str(refused.value)

    placement = _add(customer, 20, key="c")
    assert placement.application.count == 20
    customer.refresh_from_db()
    assert customer.numbers_added == 50
    assert customer.remaining_additions == 0


def test_given_limit_reached_when_staff_raise_the_limit_then_more_may_be_added_up_to_the_new_limit(
    customer, pool, actor
):
    _add(customer, 50, key="a")
    customer_set_limit(customer_id=customer.pk, limit=60, actor=actor)

    placement = _add(customer, 10, key="b")

    assert placement.created
    assert placement.application.count == 10
    customer.refresh_from_db()
    assert customer.numbers_added == 60
    with pytest.raises(LimitReached) as refused:
        _add(customer, 1, key="c")
    assert refused.value.params == {"limit": 60, "remaining": 0}


def test_given_a_limit_of_zero_when_adding_one_then_limit_reached(db, pool):
    customer = CustomerFactory(addition_limit=0)

    with pytest.raises(LimitReached) as refused:
        _add(customer, 1)

    assert refused.value.params == {"limit": 0, "remaining": 0}
    _assert_nothing_issued(customer)


def test_given_cancelled_numbers_when_adding_then_they_still_count_towards_the_limit(customer, pool, actor):
    placement = _add(customer, 50, key="a")
    numbers = [line.number_id for line in placement.application.lines.all()]
    services.numbers_cancel(numbers=numbers, received_on=clock.today(), actor=actor)

    with pytest.raises(LimitReached):
        _add(customer, 1, key="b")


# --- suspended customer --------------------------------------------------------------------------


def test_given_a_suspended_customer_when_adding_then_refused_and_nothing_is_issued(db, pool):
    customer = CustomerFactory(status=Customer.Status.SUSPENDED)

    with pytest.raises(CustomerSuspended):
        _add(customer, 1)

    _assert_nothing_issued(customer)
    [entry] = _refusals(customer)
    assert entry.detail["reason"] == "customer_suspended"


# --- pool short ----------------------------------------------------------------------------------


def test_given_a_pool_of_thirty_when_asking_fifty_then_pool_short_and_nothing_is_issued(customer):
    numbers = pool_add("05000000000", 30)

    with pytest.raises(PoolShort) as refused:
        _add(customer, 50)

    assert refused.value.params == {"requested": 50, "available": 30}
    _assert_nothing_issued(customer)
    assert PhoneNumber.objects.filter(number__in=numbers, status=PhoneNumber.Status.FREE).count() == 30
    [entry] = _refusals(customer)
    assert entry.action == "application.refused"
    assert entry.detail["reason"] == "pool_short"
    assert entry.detail["requested"] == 50
    assert entry.detail["available"] == 30


def test_given_a_pool_running_out_when_the_second_application_asks_too_many_then_only_it_is_refused(customer):
    pool_add("05000000000", 30)
    _add(customer, 20, key="a")

    with pytest.raises(PoolShort) as refused:
        _add(customer, 11, key="b")

    assert refused.value.params == {"requested": 11, "available": 10}
    customer.refresh_from_db()
    assert customer.numbers_added == 20
    assert Application.objects.filter(customer=customer).count() == 1
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.FREE).count() == 10
    placement = _add(customer, 10, key="c")
    assert placement.application.count == 10
    assert not PhoneNumber.objects.issuable().exists()


# --- issue order ---------------------------------------------------------------------------------


def test_given_ranges_with_different_available_dates_when_adding_then_oldest_date_first_then_ascending_number(
    customer,
):
    today = clock.today()
    newer = pool_add("05000000000", 5, available_from=today - dt.timedelta(days=10))
    older_high = pool_add("05000000100", 5, available_from=today - dt.timedelta(days=100))
    older_low = pool_add("05000000050", 3, available_from=today - dt.timedelta(days=100))
    expected_order = older_low + older_high + newer

    first = _add(customer, 6, key="a")
    second = _add(customer, 4, key="b")
    third = _add(customer, 3, key="c")

    assert sorted(line.number_id for line in first.application.lines.all()) == sorted(expected_order[:6])
    assert sorted(line.number_id for line in second.application.lines.all()) == sorted(expected_order[6:10])
    assert sorted(line.number_id for line in third.application.lines.all()) == sorted(expected_order[10:13])


def test_given_numbers_available_only_from_tomorrow_when_adding_then_they_are_not_issued(customer):
    today = clock.today()
    ready = pool_add("05000000500", 3, available_from=today)
    future = pool_add("05000000000", 5, available_from=today + dt.timedelta(days=1))

    placement = _add(customer, 3, key="a")
    assert sorted(line.number_id for line in placement.application.lines.all()) == ready

    with pytest.raises(PoolShort) as refused:
        _add(customer, 1, key="b")
    assert refused.value.params == {"requested": 1, "available": 0}
    assert PhoneNumber.objects.filter(number__in=future, status=PhoneNumber.Status.FREE).count() == 5


# --- idempotency (invariant 4) -------------------------------------------------------------------


def test_given_an_application_when_the_same_key_is_replayed_then_the_first_application_is_returned(customer, pool):
    first = _add(customer, 3, key="replay")

    again = _add(customer, 3, key="replay")
    other_count = _add(customer, 7, key="replay")

    for repeat in (again, other_count):
        assert repeat.created is False
        assert repeat.application.pk == first.application.pk
        assert repeat.application.application_number == first.application.application_number
        assert list(repeat.application.lines.values_list("number_id", flat=True)) == list(
            first.application.lines.values_list("number_id", flat=True)
        )
    assert Application.objects.count() == 1
    assert IssuedLine.objects.count() == 3
    assert Letter.objects.count() == 1
    assert AuditEntry.objects.filter(action="application.placed").count() == 1
    customer.refresh_from_db()
    assert customer.numbers_added == 3


def test_given_the_limit_used_up_by_an_application_when_it_is_replayed_then_its_result_is_shown_not_a_refusal(
    customer, pool
):
    first = _add(customer, 50, key="all")

    again = _add(customer, 50, key="all")

    assert again.created is False
    assert again.application.pk == first.application.pk
    assert _refusals(customer) == []


def test_given_a_key_used_by_another_customer_when_adding_then_a_new_application_is_made(customer, pool):
    other = CustomerFactory(plan=customer.plan)
    first = _add(other, 2, key="same")

    mine = _add(customer, 2, key="same")

    assert mine.created is True
    assert mine.application.pk != first.application.pk
    assert not set(mine.application.lines.values_list("number_id", flat=True)) & set(
        first.application.lines.values_list("number_id", flat=True)
    )


@pytest.mark.parametrize("key", ["", "k" * 65])
def test_given_a_missing_or_overlong_idempotency_key_when_adding_then_value_error(customer, pool, key):
    with pytest.raises(ValueError, match="idempotency_key"):
        _add(customer, 1, key=key)

    _assert_nothing_issued(customer)


def test_given_a_64_character_key_when_adding_then_accepted(customer, pool):
    assert _add(customer, 1, key="k" * 64).created


# --- all or nothing (invariant 3) ----------------------------------------------------------------


def test_given_a_failure_at_the_last_step_when_adding_then_nothing_of_the_application_remains(
    customer, pool, monkeypatch
):
    def failing_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", failing_audit)

    with pytest.raises(RuntimeError, match="audit store down"):
        _add(customer, 5)

    _assert_nothing_issued(customer)
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.ASSIGNED).count() == 0


# --- credentials ---------------------------------------------------------------------------------


def test_given_default_settings_when_adding_then_each_line_has_a_four_digit_pin_and_a_12_char_sip_password(
    customer, pool
):
    placement = _add(customer, 50)

    lines = list(placement.application.lines.all())
    assert len(lines) == 50
    pins = [line.service_pin() for line in lines]
    passwords = [line.sip_password() for line in lines]
    assert all(re.fullmatch(r"[0-9]{4}", pin) for pin in pins)
    assert all(len(password) == 12 for password in passwords)
    assert all(password.isascii() and password.isalnum() for password in passwords)
    assert not LOOK_ALIKES & set("".join(passwords))
    assert len(set(passwords)) == 50


@pytest.mark.parametrize("length", [6, 8])
def test_given_a_longer_pin_setting_when_adding_then_pins_have_that_many_digits(customer, pool, settings, length):
    settings.SELFCARE_SERVICE_PIN_LENGTH = length

    placement = _add(customer, 10)

    assert all(re.fullmatch(rf"[0-9]{{{length}}}", line.service_pin()) for line in placement.application.lines.all())


def test_given_issued_credentials_when_reading_the_raw_columns_then_they_are_encrypted_and_decrypt_back(
    customer, pool, monkeypatch, caplog
):
    monkeypatch.setattr(services.credentials, "new_service_pin", lambda: "8642")
    monkeypatch.setattr(services.credentials, "new_sip_password", lambda: "Hq7ZmP4kRw9x")
    caplog.set_level("DEBUG")

    placement = _add(customer, 2)

    table = IssuedLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT service_pin_encrypted, sip_password_encrypted FROM {table} WHERE application_id = %s",  # noqa: S608
            [placement.application.pk],
        )
        rows = cursor.fetchall()
    assert len(rows) == 2
    for pin_raw, sip_raw in rows:
        assert "8642" not in pin_raw
        assert "Hq7ZmP4kRw9x" not in sip_raw
        assert crypto.decrypt(pin_raw) == "8642"
        assert crypto.decrypt(sip_raw) == "Hq7ZmP4kRw9x"
    line = placement.application.lines.first()
    assert line.service_pin() == "8642"
    assert line.sip_password() == "Hq7ZmP4kRw9x"
    # Invariant 6: never written to logs, the audit log included.
    for entry in AuditEntry.objects.all():
        assert "8642" not in str(entry.detail)
        assert "Hq7ZmP4kRw9x" not in str(entry.detail)
    assert "8642" not in caplog.text
    assert "Hq7ZmP4kRw9x" not in caplog.text


# --- letter, fee, audit, application number ------------------------------------------------------


def test_given_an_application_when_placed_then_one_letter_is_queued_to_the_contract_address(customer, pool):
    placement = _add(customer, 4)

    letter = Letter.objects.get(application=placement.application)
    assert letter.kind == Letter.Kind.SERVICE_START
    assert letter.customer_id == customer.pk
    assert letter.recipient_name == customer.contract_name
    assert letter.postal_code == "100-0001"
    assert letter.address == "東京都千代田区千代田1-1"
    assert letter.posted_at is None
    assert letter.queued_at == placement.application.placed_at

    Customer.objects.filter(pk=customer.pk).update(address="大阪府大阪市北区1-1")
    letter.refresh_from_db()
    assert letter.address == "東京都千代田区千代田1-1"

    second = _add(customer, 1, key="another")
    assert Letter.objects.filter(customer=customer).count() == 2
    assert Letter.objects.get(application=second.application).address == "大阪府大阪市北区1-1"


def test_given_a_plan_fee_when_adding_then_the_fee_is_snapshotted_on_the_application(db, pool):
    plan = PlanFactory(code="biz", monthly_fee_per_number=275)
    customer = CustomerFactory(plan=plan)

    first = _add(customer, 3, key="a")
    plan.monthly_fee_per_number = 500
    plan.save()
    second = _add(customer, 2, key="b")

    first.application.refresh_from_db()
    assert first.application.monthly_fee_per_number == 275
    assert first.application.plan_code == "biz"
    assert first.application.monthly_fee_total == 825
    assert second.application.monthly_fee_per_number == 500
    assert second.application.monthly_fee_total == 1000


def test_given_an_application_when_placed_then_an_audit_entry_records_who_what_and_from_where(customer, pool):
    actor = Actor.customer(customer, ip_address="192.0.2.10")

    placement = _add(customer, 3, actor=actor)

    entry = AuditEntry.objects.get(action="application.placed")
    assert entry.customer_id == customer.pk
    assert entry.actor_kind == AuditEntry.ActorKind.CUSTOMER
    assert entry.actor_user_id == customer.user_id
    assert entry.actor_label == customer.selfcare_id
    assert entry.ip_address == "192.0.2.10"
    assert entry.target == placement.application.application_number
    assert entry.detail["count"] == 3
    assert entry.detail["numbers"] == pool[:3]
    assert entry.detail["monthly_fee_per_number"] == 330


@time_machine.travel(dt.datetime(2024, 8, 20, 23, 30, tzinfo=TOKYO), tick=False)
def test_given_a_late_evening_in_tokyo_when_adding_then_the_application_number_carries_the_tokyo_date(customer):
    pool_add("05000000000", 5)

    placement = _add(customer, 1)

    assert re.fullmatch(r"240820-[23456789A-HJ-NP-Z]{8}", placement.application.application_number)
    assert placement.application.placed_at == dt.datetime(2024, 8, 20, 23, 30, tzinfo=TOKYO)
