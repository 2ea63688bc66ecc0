"""Twenty identical POSTs at once, on PostgreSQL: one application, twenty identical answers (docs/api.md)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from selfcare.accounts.models import Customer
from selfcare.idempotency.models import IdempotencyRecord
from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import SCOPES
from selfcare.orders.models import Application, IssuedLine
from selfcare.testing import TEST_ACTOR, CustomerFactory, PlanFactory, pool_add

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 20


def in_threads(call, n: int) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_twenty_identical_posts_at_once_make_one_application_and_twenty_identical_answers():
    customer = CustomerFactory(plan=PlanFactory())
    pool_add("05000000000", 100)
    key = api_key_create(customer_id=customer.pk, name="race", scopes=list(SCOPES), actor=TEST_ACTOR).key

    def post():
        response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
            "/api/v1/applications", {"count": 5}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same-key"
        )
        return response.status_code, response.content

    results = in_threads(post, CLIENTS)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert {status for status, _body in results} == {201}
    assert len({body for _status, body in results}) == 1  # byte for byte, passwords included
    assert Application.objects.count() == 1
    assert IssuedLine.objects.count() == 5
    assert Customer.objects.get(pk=customer.pk).numbers_added == 5
    assert IdempotencyRecord.objects.get().state == "done"


def test_twenty_different_keys_at_once_respect_the_limit():
    customer = CustomerFactory(plan=PlanFactory(), addition_limit=12)
    pool_add("05000000000", 100)
    key = api_key_create(customer_id=customer.pk, name="race", scopes=list(SCOPES), actor=TEST_ACTOR).key
    counter = iter(range(CLIENTS))
    lock = threading.Lock()

    def post():
        with lock:
            i = next(counter)
        response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
            "/api/v1/applications", {"count": 5}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"k{i}"
        )
        return response.status_code, response.json().get("code")

    results = in_threads(post, CLIENTS)

    assert sorted(results).count((201, None)) == 2
    assert sorted(results).count((409, "limit_reached")) == CLIENTS - 2
    assert Customer.objects.get(pk=customer.pk).numbers_added == 10
