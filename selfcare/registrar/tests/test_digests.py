"""What the registrar gets for each issued number: digests of the IP phone password, never the password."""

from __future__ import annotations

import hashlib
import json

import pytest

from selfcare.audit.models import AuditEntry
from selfcare.orders.credentials import sip_digests
from selfcare.orders.errors import LimitReached
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_given_a_number_and_password_when_digested_then_ha1_and_ha1b_are_kamailios(settings):
    settings.SELFCARE_SIP_DOMAIN = "sip.example.jp"
    settings.SELFCARE_SIP_REALM = "050 net"

    digests = sip_digests(number="05012345678", password="Kp3RtW7yZa9Q")

    assert digests.ha1 == md5("05012345678:050 net:Kp3RtW7yZa9Q")
    assert digests.ha1b == md5("05012345678@sip.example.jp:050 net:Kp3RtW7yZa9Q")
    assert digests.ha1 not in repr(digests) and digests.ha1b not in repr(digests)


def test_given_rfc2617s_example_when_digested_then_the_known_ha1():
    # RFC 2617 3.5: Mufasa / testrealm@host.com / Circle Of Life.
    assert md5("Mufasa:testrealm@host.com:Circle Of Life") == "939e7578ed9e3c518a452acee763bce9"


def test_given_an_application_when_placed_then_every_line_has_the_digests_of_its_own_password(customer, pool, actor):
    placement = numbers_add(customer_id=customer.pk, count=3, idempotency_key="k", actor=actor)

    lines = list(placement.application.lines.order_by("number_id"))
    assert len(lines) == 3
    for line in lines:
        password = line.sip_password()
        assert password
        assert line.sip_ha1 == sip_digests(number=line.number_id, password=password).ha1
        assert line.sip_ha1b == sip_digests(number=line.number_id, password=password).ha1b
    assert len({line.sip_ha1 for line in lines}) == 3


def test_given_issued_lines_when_stored_then_no_column_holds_a_clear_password_and_the_audit_no_digest(
    customer, pool, actor
):
    numbers_add(customer_id=customer.pk, count=2, idempotency_key="k", actor=actor)

    audit = json.dumps([entry.detail for entry in AuditEntry.objects.all()]) + " ".join(
        AuditEntry.objects.values_list("target", flat=True)
    )
    for line in IssuedLine.objects.all():
        password = line.sip_password()
        assert password is not None
        stored = [str(value) for value in IssuedLine.objects.filter(pk=line.pk).values().get().values()]
        assert not any(password in value for value in stored)
        assert line.sip_ha1 not in audit and line.sip_ha1b not in audit and password not in audit


def test_given_a_refused_application_when_nothing_is_issued_then_no_digest_exists(customer, pool, actor):
    customer.addition_limit = 1
    customer.save()

    with pytest.raises(LimitReached):
        numbers_add(customer_id=customer.pk, count=2, idempotency_key="k", actor=actor)

    assert not IssuedLine.objects.filter(sip_ha1__isnull=False).exists()


def test_given_lines_from_before_the_registrar_when_migrated_then_digests_from_the_stored_password(
    customer, pool, actor
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("selfcare.orders.migrations.0004_sip_digests_and_reissue")
    placement = numbers_add(customer_id=customer.pk, count=3, idempotency_key="k", actor=actor)
    kept, destroyed, unreadable = placement.application.lines.order_by("number_id")
    IssuedLine.objects.update(sip_ha1=None, sip_ha1b=None)
    IssuedLine.objects.filter(pk=destroyed.pk).update(sip_password_encrypted="", service_pin_encrypted="")
    IssuedLine.objects.filter(pk=unreadable.pk).update(sip_password_encrypted="gAAAAAnot-a-token")

    migration.digests_for_stored_passwords(apps, None)

    after = IssuedLine.objects.get(pk=kept.pk)
    assert after.sip_ha1 == sip_digests(number=kept.number_id, password=kept.sip_password()).ha1
    assert after.sip_ha1b == sip_digests(number=kept.number_id, password=kept.sip_password()).ha1b
    assert IssuedLine.objects.filter(pk__in=[destroyed.pk, unreadable.pk], sip_ha1__isnull=True).count() == 2
