"""API keys on the wire: Bearer, scopes, expiry, revocation, allowed addresses, rate limits (docs/api.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from selfcare.integrations.keys import api_key_create, api_key_revoke, key_hash
from selfcare.integrations.models import SCOPE_ADD, SCOPE_READ, ApiKey
from selfcare.testing import TEST_ACTOR

pytestmark = pytest.mark.django_db


def limits(client: Client):
    return client.get("/api/v1/limits")


def test_a_key_is_stored_only_as_prefix_and_keyed_hash(customer, make_key):
    key = make_key(customer)
    stored = ApiKey.objects.get()

    assert key.startswith(stored.prefix + "_") and len(key) == 52
    assert stored.key_hash == key_hash(key) and key not in stored.key_hash
    import hashlib

    assert stored.key_hash != hashlib.sha256(key.encode()).hexdigest()  # keyed, not a plain digest


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer sk_nothing", "Basic dXNlcjpwdw==", "Bearer sk_abcdefgh_" + "A" * 40],
)
def test_without_a_valid_key_then_401_problem(customer, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()

    response = limits(client)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "api_key_invalid"


def test_a_tampered_key_with_a_real_prefix_is_refused(customer, make_key):
    key = make_key(customer)
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")

    assert limits(Client(HTTP_AUTHORIZATION=f"Bearer {tampered}")).status_code == 401


def test_a_read_key_may_read_but_not_add(customer, pool, make_key):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(customer, scopes=[SCOPE_READ])}")

    assert limits(client).status_code == 200
    response = client.post(
        "/api/v1/applications", {"count": 1}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


def test_an_add_key_cannot_reissue(customer, pool, make_key):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(customer, scopes=[SCOPE_ADD])}")

    response = client.post("/api/v1/numbers/05000000000/sip-password", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


def test_a_revoked_key_stops_at_once(customer, make_key):
    key = make_key(customer)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert limits(client).status_code == 200

    api_key_revoke(key_id=ApiKey.objects.get().pk, actor=TEST_ACTOR, customer_id=customer.pk)

    response = limits(client)
    assert response.status_code == 401 and response.json()["code"] == "api_key_revoked"


def test_an_expired_key_is_refused(customer, make_key, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(customer, expires_days=1)}")
    assert limits(client).status_code == 200

    time_machine.shift(dt.timedelta(days=1, seconds=1))

    response = limits(client)
    assert response.status_code == 401 and response.json()["code"] == "api_key_expired"


def test_a_key_bound_to_addresses_works_only_from_them(customer):
    key = api_key_create(
        customer_id=customer.pk,
        name="office",
        scopes=[SCOPE_READ],
        allowed_networks=["203.0.113.0/24", "2001:db8::/32"],
        actor=TEST_ACTOR,
    ).key

    assert limits(Client(HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="203.0.113.9")).status_code == 200
    assert limits(Client(HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="2001:db8::1")).status_code == 200
    refused = limits(Client(HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="198.51.100.1"))
    assert refused.status_code == 403 and refused.json()["code"] == "address_not_allowed"


def test_requests_past_the_rate_get_429_with_retry_after(customer, make_key, settings):
    settings.SELFCARE_API_RATE_PER_MINUTE = 3
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(customer)}")

    statuses = [limits(client).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = limits(client)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "rate_limited" and response.json()["retry_after"] == int(response["Retry-After"])


def test_wrong_keys_from_one_address_are_throttled_but_a_right_key_from_it_is_served(customer, make_key, settings):
    settings.SELFCARE_API_AUTH_FAILURES_PER_15_MINUTES = 3
    wrong = Client(HTTP_AUTHORIZATION="Bearer sk_abcdefgh_" + "A" * 40, REMOTE_ADDR="198.51.100.5")
    right = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(customer)}", REMOTE_ADDR="198.51.100.5")

    assert [limits(wrong).status_code for _ in range(3)] == [401, 401, 401]

    assert limits(wrong).status_code == 429
    # Others behind the same address (a shared NAT) sending wrong keys do not lock a right key out.
    assert limits(right).status_code == 200
    assert limits(wrong).status_code == 429


def test_limits_say_what_remains(api, customer):
    customer.addition_limit, customer.numbers_added = 60, 15
    customer.save()

    assert limits(api).json() == {
        "addition_limit": 60,
        "numbers_added": 15,
        "remaining": 45,
        "max_per_application": 50,
        "contract_status": "active",
    }
