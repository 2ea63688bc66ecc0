"""Every encrypted column is known to the secrets' owner, and key rotation reaches each of them."""

from __future__ import annotations

import io

from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command

from selfcare.core import crypto
from selfcare.integrations.models import WebhookEndpoint
from selfcare.letters.models import Letter
from selfcare.orders.services import numbers_add
from selfcare.secrets.columns import ENCRYPTED_COLUMNS

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def test_every_encrypted_column_of_every_model_is_listed_and_every_listed_one_exists():
    found: dict[str, set[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.name.endswith("_encrypted"):
                found.setdefault(model._meta.label, set()).add(field.name)

    assert found == {label: set(fields) for label, fields in ENCRYPTED_COLUMNS.items()}


def test_rotate_encryption_keys_re_encrypts_every_listed_column(settings, customer, pool, actor):
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_A]
    line = numbers_add(customer_id=customer.pk, count=1, idempotency_key="columns", actor=actor).application.lines.get()
    Letter.to_contract_address(
        customer,
        kind=Letter.Kind.SELFCARE_CREDENTIALS,
        secret_encrypted=crypto.encrypt("letter"),
        queued_at=line.issued_at,
    ).save()
    letter = Letter.objects.get(customer=customer, kind=Letter.Kind.SELFCARE_CREDENTIALS)
    endpoint = WebhookEndpoint.objects.create(
        customer=customer,
        url="https://hooks.example.com/",
        events=["application.created"],
        secret_encrypted=crypto.encrypt("signing"),
        created_at=line.issued_at,
    )
    rows = {"orders.IssuedLine": line, "letters.Letter": letter, "integrations.WebhookEndpoint": endpoint}
    before = {
        (label, field): crypto.decrypt(getattr(rows[label], field))
        for label, fields in ENCRYPTED_COLUMNS.items()
        for field in fields
    }

    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_encryption_keys", "--no-progress", stdout=io.StringIO())

    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B]
    after = {
        (label, field): crypto.decrypt(getattr(type(rows[label]).objects.get(pk=rows[label].pk), field))
        for label, fields in ENCRYPTED_COLUMNS.items()
        for field in fields
    }
    assert after == before
