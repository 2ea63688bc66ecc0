"""Customers and their limits: customer_create and customer_set_limit."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from selfcare.accounts.errors import BadLimit, LimitBelowUsage, PlanNotFound, SelfcareIdTaken
from selfcare.accounts.models import Customer, User
from selfcare.accounts.services import UNAMBIGUOUS_ALPHABET, customer_create, customer_set_limit
from selfcare.audit.models import AuditEntry
from selfcare.audit.services import Actor
from selfcare.orders.services import numbers_add
from selfcare.testing import CustomerFactory

GOOD_PASSWORD = "correct horse battery staple"


def _create(plan, **overrides):
    arguments = {
        "selfcare_id": "acme0001",
        "email": "acme@example.com",
        "contract_name": "アクメ株式会社",
        "plan_code": plan.code,
        "actor": Actor.system("tests"),
        "postal_code": "100-0005",
        "address": "東京都千代田区丸の内1-1-1",
    }
    arguments.update(overrides)
    return customer_create(**arguments)


def _nothing_created():
    assert not User.objects.exists()
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.filter(action="customer.created").exists()


# --- customer_create -----------------------------------------------------------------------------


def test_given_no_password_when_creating_a_customer_then_a_generated_one_works_and_is_argon2_hashed(plan, argon2):
    created = _create(plan)

    password = created.initial_password
    assert password is not None
    assert len(password) >= 15
    assert set(password) <= set(UNAMBIGUOUS_ALPHABET)
    user = User.objects.get(username="acme0001")
    assert user.password.startswith("argon2")
    assert password not in user.password
    assert check_password(password, user.password)
    assert user.check_password(password)
    assert not user.check_password(password + "x")
    assert user.email == "acme@example.com"
    assert not user.is_staff


def test_given_two_customers_when_passwords_are_generated_then_they_differ(plan):
    first = _create(plan, selfcare_id="acme0001")
    second = _create(plan, selfcare_id="acme0002")

    assert first.initial_password != second.initial_password


def test_given_the_details_when_creating_a_customer_then_they_are_stored_with_the_default_limit_and_audited(plan):
    created = _create(plan)

    customer = Customer.objects.get(pk=created.customer.pk)
    assert customer.selfcare_id == "acme0001"
    assert customer.contract_name == "アクメ株式会社"
    assert customer.plan == plan
    assert customer.postal_code == "100-0005"
    assert customer.address == "東京都千代田区丸の内1-1-1"
    assert customer.addition_limit == 50
    assert customer.numbers_added == 0
    assert customer.is_active
    entry = AuditEntry.objects.get(action="customer.created")
    assert entry.customer_id == customer.pk
    assert entry.target == "acme0001"
    assert entry.detail == {"plan": plan.code, "addition_limit": 50}


def test_given_a_default_limit_setting_when_creating_then_the_setting_is_used(plan, settings):
    settings.SELFCARE_DEFAULT_ADDITION_LIMIT = 20

    assert _create(plan).customer.addition_limit == 20


@pytest.mark.parametrize("limit", [0, 1, 100_000])
def test_given_an_explicit_limit_when_creating_then_it_is_used(plan, limit):
    assert Customer.objects.get(pk=_create(plan, addition_limit=limit).customer.pk).addition_limit == limit


@pytest.mark.parametrize("limit", [-1, 100_001])
def test_given_a_limit_out_of_range_when_creating_then_bad_limit(plan, limit):
    with pytest.raises(BadLimit):
        _create(plan, addition_limit=limit)

    _nothing_created()


def test_given_a_chosen_password_when_creating_then_it_is_used_and_not_returned(plan, argon2):
    created = _create(plan, password=GOOD_PASSWORD)

    assert created.initial_password is None
    user = User.objects.get(username="acme0001")
    assert user.password.startswith("argon2")
    assert user.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize(
    "password",
    ["short", "fourteen-chars", "1q2w3e4r5t6y7u8i9o0p", "123456789123456789", "x" * 129],
    ids=["short", "14-chars", "common-20-chars", "common-digits", "129-chars"],
)
def test_given_a_weak_or_overlong_password_when_creating_then_validation_error(plan, password):
    with pytest.raises(ValidationError):
        _create(plan, password=password)

    _nothing_created()


def test_given_a_password_of_exactly_15_and_128_characters_when_creating_then_accepted(plan):
    _create(plan, selfcare_id="acme0001", password="q8#Lm2!vR5zT9wK")
    # 128 characters of one's own: 120 times "k" is refused now as a repeated pattern (validators.py).
    _create(plan, selfcare_id="acme0002", password=hashlib.sha512(b"selfcare").hexdigest()[:120] + "Zq8#Lm2!")

    assert User.objects.count() == 2


@pytest.mark.parametrize(
    "selfcare_id",
    ["abc", "", "-abc", ".abcd", "_abcd", "acme 0001", "acme/0001", "ａｃｍｅ0001", "a" * 33, "acme0001\n"],
    ids=[
        "3-chars",
        "empty",
        "leading-dash",
        "leading-dot",
        "leading-underscore",
        "space",
        "slash",
        "fullwidth",
        "33",
        "nl",
    ],
)
def test_given_a_bad_selfcare_id_when_creating_then_validation_error(plan, selfcare_id):
    with pytest.raises(ValidationError):
        _create(plan, selfcare_id=selfcare_id)

    _nothing_created()


@pytest.mark.parametrize("selfcare_id", ["abcd", "a" * 32, "A.b_c-9", "0000"])
def test_given_an_edge_valid_selfcare_id_when_creating_then_accepted(plan, selfcare_id):
    assert _create(plan, selfcare_id=selfcare_id).customer.selfcare_id == selfcare_id


@pytest.mark.parametrize("second_id", ["acme0001", "ACME0001", "Acme0001"])
def test_given_a_taken_selfcare_id_when_creating_again_in_any_case_then_refused(plan, second_id):
    _create(plan, selfcare_id="acme0001")

    with pytest.raises(SelfcareIdTaken):
        _create(plan, selfcare_id=second_id, email="other@example.com")

    assert User.objects.count() == 1
    assert Customer.objects.count() == 1
    assert AuditEntry.objects.filter(action="customer.created").count() == 1


def test_given_an_unknown_plan_when_creating_then_plan_not_found(plan):
    with pytest.raises(PlanNotFound) as refused:
        _create(plan, plan_code="no-such-plan")

    assert refused.value.params == {"code": "no-such-plan"}
    _nothing_created()


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b@example.com"])
def test_given_a_bad_email_when_creating_then_validation_error(plan, email):
    with pytest.raises(ValidationError):
        _create(plan, email=email)

    _nothing_created()


# --- customer_set_limit --------------------------------------------------------------------------


def test_given_a_customer_when_staff_raise_the_limit_then_it_is_saved_and_audited_with_from_and_to(customer):
    staff = User.objects.create_user(username="operator1", password=None, is_staff=True)

    returned = customer_set_limit(customer_id=customer.pk, limit=80, actor=Actor.staff(staff, "203.0.113.5"))

    assert returned.addition_limit == 80
    customer.refresh_from_db()
    assert customer.addition_limit == 80
    entry = AuditEntry.objects.get(action="customer.limit_changed")
    assert entry.detail == {"from": 50, "to": 80}
    assert entry.customer_id == customer.pk
    assert entry.target == customer.selfcare_id
    assert entry.actor_user_id == staff.pk
    assert entry.ip_address == "203.0.113.5"


def test_given_numbers_added_when_lowering_the_limit_below_them_then_limit_below_usage(customer, pool, actor):
    numbers_add(customer_id=customer.pk, count=10, idempotency_key="k", actor=actor)

    with pytest.raises(LimitBelowUsage) as refused:
        customer_set_limit(customer_id=customer.pk, limit=9, actor=actor)

    assert refused.value.params == {"numbers_added": 10}
    customer.refresh_from_db()
    assert customer.addition_limit == 50
    assert not AuditEntry.objects.filter(action="customer.limit_changed").exists()


def test_given_numbers_added_when_lowering_the_limit_to_exactly_them_then_accepted(customer, pool, actor):
    numbers_add(customer_id=customer.pk, count=10, idempotency_key="k", actor=actor)

    customer_set_limit(customer_id=customer.pk, limit=10, actor=actor)

    customer.refresh_from_db()
    assert customer.addition_limit == 10
    assert customer.remaining_additions == 0
    assert AuditEntry.objects.get(action="customer.limit_changed").detail == {"from": 50, "to": 10}


def test_given_no_numbers_added_when_setting_the_limit_to_zero_then_accepted(customer, actor):
    customer_set_limit(customer_id=customer.pk, limit=0, actor=actor)

    customer.refresh_from_db()
    assert customer.addition_limit == 0


@pytest.mark.parametrize("limit", [-1, 100_001])
def test_given_a_limit_out_of_range_when_setting_then_bad_limit(customer, actor, limit):
    with pytest.raises(BadLimit):
        customer_set_limit(customer_id=customer.pk, limit=limit, actor=actor)

    customer.refresh_from_db()
    assert customer.addition_limit == 50
    assert not AuditEntry.objects.filter(action="customer.limit_changed").exists()


def test_given_two_limit_changes_when_audited_then_each_records_its_own_from_and_to(db, actor):
    customer = CustomerFactory(addition_limit=5)

    customer_set_limit(customer_id=customer.pk, limit=7, actor=actor)
    customer_set_limit(customer_id=customer.pk, limit=6, actor=actor)

    details = list(
        AuditEntry.objects.filter(action="customer.limit_changed").order_by("id").values_list("detail", flat=True)
    )
    assert details == [{"from": 5, "to": 7}, {"from": 7, "to": 6}]
