"""Staff list and revoke a customer's API keys; no hash or signing secret appears on the staff site."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from selfcare.audit.models import AuditEntry
from selfcare.core import clock, crypto
from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import SCOPES, ApiKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from selfcare.integrations.webhooks import new_secret
from selfcare.testing import TEST_ACTOR

pytestmark = pytest.mark.django_db


def test_a_superuser_lists_and_revokes_a_customers_keys(superuser, customer):
    made = api_key_create(customer_id=customer.pk, name="billing sync", scopes=list(SCOPES), actor=TEST_ACTOR)
    url = reverse("admin:integrations_apikey_changelist")

    page = superuser.client.get(url, {"q": customer.selfcare_id})
    assert page.status_code == 200
    html = page.content.decode()
    assert made.api_key.prefix in html and "billing sync" in html
    assert made.api_key.key_hash not in html and made.key not in html

    response = superuser.client.post(url, {"action": "revoke", "_selected_action": [made.api_key.pk]})
    assert response.status_code == 302
    assert ApiKey.objects.get().revoked_at is not None
    entry = AuditEntry.objects.get(action="api_key.revoked")
    assert entry.actor_kind == "staff" and entry.target == made.api_key.prefix


def test_the_key_page_shows_no_hash(superuser, customer):
    made = api_key_create(customer_id=customer.pk, name="x", scopes=list(SCOPES), actor=TEST_ACTOR)

    page = superuser.client.get(reverse("admin:integrations_apikey_change", args=[made.api_key.pk]))

    assert page.status_code == 200 and made.api_key.key_hash not in page.content.decode()


def test_the_key_page_lists_its_addresses_and_scopes_in_words(superuser, customer):
    made = api_key_create(
        customer_id=customer.pk,
        name="x",
        scopes=["numbers:read"],
        allowed_networks=["127.0.0.1/32", "203.0.113.0/24"],
        actor=TEST_ACTOR,
    )

    html = superuser.client.get(reverse("admin:integrations_apikey_change", args=[made.api_key.pk])).content.decode()

    assert "[&quot;127.0.0.1/32&quot;" not in html and '["127.0.0.1/32"' not in html
    assert "127.0.0.1/32<br>203.0.113.0/24" in html
    assert "番号・申込・上限の参照 (numbers:read)" in html
    assert f'<code class="nowrap">{made.api_key.prefix}</code>' in html


def test_the_key_list_keeps_each_prefix_on_one_line_and_says_nothing_with_one_sign(superuser, customer):
    made = api_key_create(customer_id=customer.pk, name="x", scopes=["numbers:read"], actor=TEST_ACTOR)

    html = superuser.client.get(reverse("admin:integrations_apikey_changelist")).content.decode()

    assert f'<code class="nowrap">{made.api_key.prefix}</code>' in html
    assert re.search(r'<td class="field-expires_at[^"]*">—</td>', html) and ">-<" not in html


def test_the_endpoint_page_shows_its_latest_deliveries_and_each_attempt(superuser, customer):
    endpoint = WebhookEndpoint.objects.create(
        customer=customer,
        url="https://hooks.example.com/050",
        events=["application.completed"],
        secret_encrypted=crypto.encrypt(new_secret()),
        created_at=clock.now(),
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id="msg_2Qd7sVhX1",
        event_type="application.completed",
        event_key="application:1",
        payload={},
        state=WebhookDelivery.State.DELIVERED,
        attempts=2,
        created_at=clock.now(),
    )
    WebhookAttempt.objects.create(delivery=delivery, number=1, at=clock.now(), status_code=503, outcome="http")
    WebhookAttempt.objects.create(delivery=delivery, number=2, at=clock.now(), status_code=200, outcome="http")

    page = superuser.client.get(reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk]))

    html = page.content.decode()
    assert page.status_code == 200 and "msg_2Qd7sVhX1" in html
    assert "申込の完了 (番号の追加)" in html and "送信済み" in html
    assert "1. " in html and "HTTP 503" in html and "2. " in html and "HTTP 200" in html
    assert "<form" not in html.split("msg_2Qd7sVhX1")[1].split("</table>")[0]  # read-only
