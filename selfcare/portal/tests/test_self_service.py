"""Self-service behind the login: API keys, webhooks and the IP phone password, each after a fresh e-mailed code;
the numbers as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from selfcare.audit.models import AuditEntry
from selfcare.integrations.keys import api_key_authenticate
from selfcare.integrations.models import ApiKey, WebhookEndpoint
from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, login_code

pytestmark = pytest.mark.django_db


def confirm_url(response) -> str:
    assert response.status_code == 302 and "/confirm/" in response.url, response
    return response.url


def enter_code(client, url, mailoutbox, code=None):
    return client.post(url, {"code": code or login_code(mailoutbox[-1])})


def test_a_key_is_made_after_a_fresh_code_and_shown_once(logged_in, login_customer, mailoutbox):
    url = confirm_url(logged_in.post("/api-keys/", {"name": "provisioning", "scopes": ["numbers:read", "numbers:add"]}))
    assert not ApiKey.objects.exists()
    assert "provisioning" in mailoutbox[-1].body

    shown = enter_code(logged_in, url, mailoutbox)

    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    key = re.search(
        r'<code class="secret" id="api-key">(sk_[a-z0-9]{8}_[A-Za-z0-9]{40})</code>', shown.content.decode()
    ).group(1)
    assert api_key_authenticate(key=key, ip=None).customer == login_customer
    again = enter_code(logged_in, url, mailoutbox)  # a reload or a double click makes no second key
    assert key not in again.content.decode() and ApiKey.objects.count() == 1
    listed = logged_in.get("/api-keys/").content.decode()
    assert ApiKey.objects.get().prefix in listed and key not in listed


def test_a_wrong_code_makes_nothing_and_five_void_it(logged_in, mailoutbox):
    url = confirm_url(logged_in.post("/api-keys/", {"name": "x", "scopes": ["numbers:read"]}))
    right = login_code(mailoutbox[-1])
    wrong = "000000" if right != "000000" else "111111"

    for _ in range(5):
        response = enter_code(logged_in, url, mailoutbox, code=wrong)
        assert response.status_code == 200
    response = enter_code(logged_in, url, mailoutbox, code=right)

    assert not ApiKey.objects.exists()
    assert AuditEntry.objects.filter(action="fresh_code.failed").count() == 5


def test_a_bad_address_is_said_before_any_code_is_sent(logged_in, mailoutbox):
    sent = len(mailoutbox)
    response = logged_in.post("/api-keys/", {"name": "x", "scopes": ["numbers:read"], "allowed_networks": "not-an-ip"})

    assert response.status_code == 200 and "not-an-ip" in response.content.decode()
    assert len(mailoutbox) == sent


def test_a_key_is_revoked_from_the_list(logged_in, login_customer, mailoutbox):
    enter_code(
        logged_in, confirm_url(logged_in.post("/api-keys/", {"name": "x", "scopes": ["numbers:read"]})), mailoutbox
    )
    key = ApiKey.objects.get()

    logged_in.post(f"/api-keys/{key.pk}/revoke/", {"confirmed": "yes"})

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_another_customers_key_cannot_be_revoked(logged_in, other_customer):
    from selfcare.integrations.keys import api_key_create

    theirs = api_key_create(customer_id=other_customer.pk, name="t", scopes=["numbers:read"], actor=TEST_ACTOR)

    assert logged_in.get(f"/api-keys/{theirs.api_key.pk}/revoke/").status_code == 404
    assert logged_in.post(f"/api-keys/{theirs.api_key.pk}/revoke/", {"confirmed": "yes"}).status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_the_ip_phone_password_is_reissued_after_a_fresh_code_shown_once_with_a_letter(
    logged_in, login_customer, pool, mailoutbox
):
    numbers_add(customer_id=login_customer.pk, count=1, idempotency_key="p", actor=TEST_ACTOR)
    line = IssuedLine.objects.get()
    old = line.sip_password()
    assert f"/numbers/{line.number_id}/sip-password/" in logged_in.get("/numbers/").content.decode()

    url = confirm_url(logged_in.post(f"/numbers/{line.number_id}/sip-password/"))
    shown = enter_code(logged_in, url, mailoutbox)

    line.refresh_from_db()
    assert line.sip_password() != old and line.sip_password() in shown.content.decode()
    assert Letter.objects.filter(kind=Letter.Kind.SIP_PASSWORD_REISSUE, line=line).count() == 1
    enter_code(logged_in, url, mailoutbox)
    assert Letter.objects.filter(kind=Letter.Kind.SIP_PASSWORD_REISSUE).count() == 1


def test_a_webhook_is_registered_after_a_fresh_code_and_its_secret_shown_once(logged_in, mailoutbox, settings):
    settings.SELFCARE_WEBHOOK_ALLOW_PRIVATE = True
    refused = logged_in.post("/webhooks/", {"url": "ftp://x/", "events": ["application.completed"]})
    assert refused.status_code == 200 and not WebhookEndpoint.objects.exists()

    url = confirm_url(
        logged_in.post("/webhooks/", {"url": "http://127.0.0.1:9/hook", "events": ["application.completed"]})
    )
    shown = enter_code(logged_in, url, mailoutbox)

    assert re.search(r'<code class="secret" id="signing-secret">whsec_[A-Za-z0-9+/=]+</code>', shown.content.decode())
    endpoint = WebhookEndpoint.objects.get()
    assert logged_in.get(f"/webhooks/{endpoint.pk}/").status_code == 200


def test_my_numbers_download_as_csv(logged_in, login_customer, pool):
    numbers_add(customer_id=login_customer.pk, count=2, idempotency_key="c", actor=TEST_ACTOR)

    response = logged_in.get("/numbers/csv/")

    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff") and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3 and rows[1][0] == "050-0000-0000"
