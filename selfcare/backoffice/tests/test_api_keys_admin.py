"""Staff list and revoke a customer's API keys; no hash or signing secret appears on the staff site."""

from __future__ import annotations

import pytest
from django.urls import reverse

from selfcare.core.models import AuditEntry
from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import SCOPES, ApiKey
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
