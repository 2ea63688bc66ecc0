"""POST/GET /api/v1/applications: the portal's rules and guarantees, for a program (docs/api.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from selfcare.accounts.models import Customer
from selfcare.audit.models import AuditEntry
from selfcare.letters.models import Letter
from selfcare.orders.models import Application, IssuedLine
from selfcare.testing import CustomerFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def post(client: Client, count, key: str | None = "key-1", **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/v1/applications", {"count": count}, content_type=JSON, **headers)


def test_given_a_count_when_posted_then_one_whole_application_with_both_passwords(api, pool, customer):
    response = post(api, 3)

    assert response.status_code == 201
    body = response.json()
    application = Application.objects.get()
    assert body["application_number"] == application.application_number
    assert body["count"] == 3 and body["monthly_fee_per_number"] == customer.plan.monthly_fee_per_number
    numbers = [n["number"] for n in body["numbers"]]
    assert numbers == sorted(IssuedLine.objects.values_list("number_id", flat=True))
    line = IssuedLine.objects.get(number_id=numbers[0])
    assert body["numbers"][0]["service_password"] == line.service_pin()
    assert body["numbers"][0]["sip_password"] == line.sip_password()
    assert Letter.objects.filter(application=application).count() == 1
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]


def test_given_the_same_key_and_body_when_posted_again_then_the_first_answer_and_no_second_application(api, pool):
    first = post(api, 2)
    again = post(api, 2)

    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert Application.objects.count() == 1


def test_given_the_same_key_with_another_body_then_422_and_nothing_more(api, pool):
    post(api, 2)
    response = post(api, 3)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    ("key", "code"),
    [(None, "idempotency_key_missing"), ("x" * 65, "idempotency_key_invalid"), ("スペース", "idempotency_key_invalid")],
)
def test_given_no_or_a_bad_key_then_400_and_nothing_placed(api, pool, key, code):
    response = (
        post(api, 1, key=key)
        if key != "スペース"
        else api.post("/api/v1/applications", {"count": 1}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="a b")
    )

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Application.objects.exists()


def test_given_keys_are_per_customer_then_two_customers_may_use_the_same_key(api, pool, make_key, plan):
    other = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(CustomerFactory(plan=plan))}")

    assert post(api, 1, key="shared").status_code == 201
    assert post(other, 1, key="shared").status_code == 201
    assert Application.objects.count() == 2


@pytest.mark.parametrize("count", [0, 51, -1, "3", 2.5, True, None])
def test_given_a_count_out_of_the_rule_then_bad_count_and_nothing_placed(api, pool, count):
    response = post(api, count)

    assert response.status_code == 422
    assert response.json()["code"] == "bad_count"
    assert response.json()["maximum"] == 50
    assert not Application.objects.exists()


def test_given_the_limit_would_be_passed_then_409_limit_reached_with_what_remains(api, pool, customer):
    Customer.objects.filter(pk=customer.pk).update(addition_limit=5, numbers_added=3)

    response = post(api, 3)

    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "limit_reached" and problem["remaining"] == 2 and problem["limit"] == 5
    assert problem["status"] == 409 and problem["type"].endswith("#limit_reached")
    assert AuditEntry.objects.filter(action="application.refused").count() == 1
    # a refusal changed nothing, so the same key may be sent again once the limit allows it
    Customer.objects.filter(pk=customer.pk).update(addition_limit=10)
    assert post(api, 3).status_code == 201


def test_given_too_few_free_numbers_then_409_pool_short_with_what_is_available(api, customer):
    from selfcare.testing import pool_add

    pool_add("05000000000", 2)
    response = post(api, 3)

    assert response.status_code == 409
    assert response.json()["code"] == "pool_short" and response.json()["available"] == 2


def test_given_a_suspended_contract_then_403_customer_suspended(api, pool, customer):
    Customer.objects.filter(pk=customer.pk).update(status=Customer.Status.SUSPENDED)

    response = post(api, 1)

    assert response.status_code == 403 and response.json()["code"] == "customer_suspended"


def test_detail_follows_accept_language(api, pool, customer):
    Customer.objects.filter(pk=customer.pk).update(addition_limit=0)

    english = post(api, 1, key="en", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    japanese = post(api, 1, key="ja", HTTP_ACCEPT_LANGUAGE="ja").json()["detail"]

    assert english.startswith("This would exceed your addition limit")
    assert japanese != english and "上限" in japanese


def test_given_the_display_window_passed_then_a_repeat_and_a_read_give_the_numbers_without_passwords(
    api, pool, time_machine, settings
):
    time_machine.move_to(timezone.now(), tick=False)
    first = post(api, 2).json()
    time_machine.shift(dt.timedelta(minutes=settings.SELFCARE_SHOW_PASSWORDS_MINUTES + 1))

    again = post(api, 2)
    read = api.get(f"/api/v1/applications/{first['application_number']}")

    assert again.status_code == 201
    for answer in (again.json(), read.json()):
        assert [n["number"] for n in answer["numbers"]] == [n["number"] for n in first["numbers"]]
        assert all(n["service_password"] is None and n["sip_password"] is None for n in answer["numbers"])


def test_the_placement_is_audited_with_the_keys_prefix_never_the_key(customer, pool, make_key):
    key = make_key(customer)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="198.51.100.7")

    post(client, 1)

    entry = AuditEntry.objects.get(action="application.placed")
    assert entry.actor_label == f"{customer.selfcare_id} ({key[:11]})"
    assert entry.ip_address == "198.51.100.7"
    assert not AuditEntry.objects.filter(detail__icontains=key[12:]).exists()
    assert all(key not in str(e.detail) and key not in e.actor_label for e in AuditEntry.objects.all())


def test_list_is_paginated_latest_first_and_only_the_customers_own(api, pool, customer, plan, make_key):
    for i in range(3):
        post(api, 1, key=f"k{i}")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(CustomerFactory(plan=plan))}")
    post(other, 1, key="other")

    page1 = api.get("/api/v1/applications?per_page=2").json()
    page2 = api.get("/api/v1/applications?per_page=2&page=2").json()

    assert page1["total"] == 3 and page1["next_page"] == 2 and len(page1["items"]) == 2
    assert page2["next_page"] is None and len(page2["items"]) == 1
    mine = set(Application.objects.filter(customer=customer).values_list("application_number", flat=True))
    assert {a["application_number"] for a in page1["items"] + page2["items"]} == mine
    assert api.get("/api/v1/applications?page=99").json()["items"] == []


def test_another_customers_application_is_not_found(api, pool, plan, make_key):
    other = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(CustomerFactory(plan=plan))}")
    theirs = post(other, 1).json()["application_number"]

    response = api.get(f"/api/v1/applications/{theirs}")

    assert response.status_code == 404 and response.json()["code"] == "application_not_found"


def test_given_a_read_only_key_then_an_application_is_read_without_any_password(api, pool, customer, make_key):
    placed = post(api, 1).json()
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(customer, scopes=['numbers:read'])}")

    read = reader.get(f"/api/v1/applications/{placed['application_number']}").json()

    assert read["numbers"][0]["number"] == placed["numbers"][0]["number"]
    assert read["numbers"][0]["service_password"] is None and read["numbers"][0]["sip_password"] is None


def test_given_a_reissued_ip_phone_password_then_no_read_or_repeat_of_the_application_shows_it(api, pool):
    placed = post(api, 1, key="placed").json()
    number = placed["numbers"][0]["number"]
    reissued = api.post(f"/api/v1/numbers/{number}/sip-password", HTTP_IDEMPOTENCY_KEY="reissue").json()
    new_password = reissued["sip_password"]
    assert new_password and new_password != placed["numbers"][0]["sip_password"]

    read = api.get(f"/api/v1/applications/{placed['application_number']}").json()
    repeat = post(api, 1, key="placed").json()

    for answer in (read, repeat):
        assert answer["numbers"][0]["sip_password"] is None  # neither the old one nor the new one
        assert new_password not in str(answer)
