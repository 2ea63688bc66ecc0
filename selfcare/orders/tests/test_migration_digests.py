"""The migration that gave existing lines their registrar digests carries its own copy of the digest
and of the decryption: it must keep computing what the registrar checks, whatever the code does later."""

from __future__ import annotations

import importlib

from django.apps import apps

from selfcare.orders.credentials import sip_digests
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR

migration = importlib.import_module("selfcare.orders.migrations.0004_sip_digests_and_reissue")


def test_given_a_number_and_password_then_the_frozen_digests_are_the_registrars():
    live = sip_digests(number="05012345678", password="Abc7Def9Ghk2")

    assert migration.sip_digests(number="05012345678", password="Abc7Def9Ghk2") == (live.ha1, live.ha1b)


def test_given_lines_without_digests_when_the_migration_runs_then_each_gets_the_digests_of_its_password(customer, pool):
    application = numbers_add(customer_id=customer.pk, count=2, idempotency_key="m", actor=TEST_ACTOR).application
    lines = list(application.lines.all())
    IssuedLine.objects.filter(pk__in=[line.pk for line in lines]).update(sip_ha1=None, sip_ha1b=None)

    migration.digests_for_stored_passwords(apps, None)

    for line in lines:
        line.refresh_from_db()
        expected = sip_digests(number=line.number_id, password=line.sip_password())
        assert (line.sip_ha1, line.sip_ha1b) == (expected.ha1, expected.ha1b)
