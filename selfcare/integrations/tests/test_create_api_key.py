from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from selfcare.audit.models import AuditEntry
from selfcare.integrations.keys import api_key_authenticate
from selfcare.integrations.models import ApiKey

pytestmark = pytest.mark.django_db


def test_the_command_prints_a_working_key_once_and_audits_its_prefix(customer):
    out = io.StringIO()
    call_command(
        "create_api_key",
        customer.selfcare_id,
        "--scope",
        "numbers:read",
        "--scope",
        "numbers:add",
        "--expires-days",
        "30",
        stdout=out,
        stderr=io.StringIO(),
    )

    key = out.getvalue().strip()
    stored = ApiKey.objects.get()
    assert api_key_authenticate(key=key, ip="192.0.2.1").customer == customer
    assert stored.scopes == ["numbers:read", "numbers:add"] and stored.expires_at is not None
    entry = AuditEntry.objects.get(action="api_key.created")
    assert entry.target == stored.prefix and key not in str(entry.detail)


def test_an_unknown_customer_is_a_clear_error(db):
    with pytest.raises(CommandError):
        call_command("create_api_key", "nobody", "--scope", "numbers:read", stdout=io.StringIO())


def test_a_key_made_without_a_name_is_named_in_japanese_for_the_customers_page(customer):
    call_command(
        "create_api_key", customer.selfcare_id, "--scope", "numbers:read", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert ApiKey.objects.get().name == "コマンドで作成"
