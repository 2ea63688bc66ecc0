"""How the portal talks to kamcmd, with a stand-in kamcmd (the real one is in test_kamailio.py)."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from selfcare.audit.models import AuditEntry
from selfcare.core import clock
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add, numbers_cancel
from selfcare.registrar import control
from selfcare.registrar.control import RegistrarUnreachable
from selfcare.registrar.errors import RegistrarNotConfigured
from selfcare.registrar.services import cancelled_registrations_drop
from selfcare.testing import jobs_run


@pytest.fixture
def kamcmd(tmp_path, settings):
    """A stand-in kamcmd that records its arguments and prints what the test sets."""

    class Fake:
        calls = tmp_path / "calls"
        output = tmp_path / "output"
        status = tmp_path / "status"

        def answer(self, text: str, status: int = 0) -> None:
            self.output.write_text(text)
            self.status.write_text(str(status))

        def called(self) -> list[str]:
            return self.calls.read_text().splitlines() if self.calls.exists() else []

    fake = Fake()
    fake.answer("")
    script = tmp_path / "kamcmd"
    script.write_text(
        f'#!/bin/sh\necho "$*" >> {fake.calls}\ncat {fake.output}\nexit $(cat {fake.status})\n', encoding="utf-8"
    )
    script.chmod(0o755)
    settings.SELFCARE_KAMCMD = str(script)
    settings.SELFCARE_REGISTRAR_CTL = "unixs:/run/kamailio/kamailio_ctl"
    return fake


def test_given_a_number_when_dropped_then_ul_rm_with_the_number_as_a_string(kamcmd):
    control.registrations_drop(number="05012345678")

    assert kamcmd.called() == ["-s unixs:/run/kamailio/kamailio_ctl ul.rm location s:05012345678"]


def test_given_kamailio_refuses_when_dropping_then_unreachable(kamcmd):
    kamcmd.answer("error: 500 - Domain table not found")
    with pytest.raises(RegistrarUnreachable, match="Domain table"):
        control.registrations_drop(number="05012345678")


def test_given_no_registration_when_dropping_then_fine(kamcmd):
    kamcmd.answer("error: 500 - AOR not found in location table")
    control.registrations_drop(number="05012345678")


def test_given_kamcmd_cannot_connect_then_unreachable(kamcmd):
    kamcmd.answer("ERROR: connect_unix_sock: connect(/run/kamailio/kamailio_ctl): No such file", status=255)
    with pytest.raises(RegistrarUnreachable, match="255"):
        control.registrations_drop(number="05012345678")


def test_given_no_kamcmd_then_unreachable(settings):
    settings.SELFCARE_REGISTRAR_CTL = "unixs:/nonexistent/ctl"
    settings.SELFCARE_KAMCMD = "/nonexistent/kamcmd"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", "/nonexistent")
        with pytest.raises(RegistrarUnreachable):
            control.registrations_drop(number="05012345678")


def test_given_lookups_then_the_contact_addresses(kamcmd):
    kamcmd.answer("{\n\tAoR: 050\n\tContacts: {\n\t\tContact: {\n\t\t\tAddress: sip:050@127.0.0.1:5070\n\t\t}\n\t}\n}")
    assert control.registrations_of(number="050") == ["sip:050@127.0.0.1:5070"]
    kamcmd.answer("error: 500 - AOR not found in location table")
    assert control.registrations_of(number="050") == []


def test_given_no_control_socket_when_dropping_cancelled_then_refused_clearly(settings, db):
    settings.SELFCARE_REGISTRAR_CTL = ""
    with pytest.raises(RegistrarNotConfigured):
        cancelled_registrations_drop(actor=None)  # type: ignore[arg-type]
    with pytest.raises(CommandError, match="SELFCARE_REGISTRAR_CTL"):
        call_command("registrar_drop_cancelled")


def test_given_a_cancellation_in_effect_when_committed_then_dropped_audited_and_digests_forgotten(
    kamcmd, customer, pool, actor
):
    placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="k", actor=actor)
    first, second = placement.application.lines.order_by("number_id")

    cancellation = numbers_cancel(numbers=[first.number_id], received_on=clock.today(), actor=actor)
    jobs_run()

    assert kamcmd.called() == [f"-s unixs:/run/kamailio/kamailio_ctl ul.rm location s:{first.number_id}"]
    assert IssuedLine.objects.get(pk=first.pk).sip_ha1 is None
    assert IssuedLine.objects.get(pk=second.pk).sip_ha1 is not None
    (entry,) = AuditEntry.objects.filter(action="registrar.registrations_dropped")
    assert (entry.customer_id, entry.target, entry.detail) == (
        customer.pk,
        f"cancellation:{cancellation.pk}",
        {"numbers": [first.number_id]},
    )


def test_given_the_registrar_down_when_a_cancellation_commits_then_it_stands_and_the_digest_waits(
    kamcmd, customer, pool, actor, caplog
):
    placement = numbers_add(customer_id=customer.pk, count=1, idempotency_key="k", actor=actor)
    (line,) = placement.application.lines.all()
    kamcmd.answer("ERROR: connect_unix_sock: connect(): No such file or directory", status=255)

    with caplog.at_level(logging.WARNING):
        numbers_cancel(numbers=[line.number_id], received_on=clock.today(), actor=actor)
        jobs_run()

    assert IssuedLine.objects.get(pk=line.pk).cancelled_on == clock.today()
    assert IssuedLine.objects.get(pk=line.pk).sip_ha1 is not None  # kept for the job's next attempt
    assert "attempt 1 of 12 failed (RegistrarUnreachable)" in caplog.text
    (waiting,) = DBTaskResult.objects.filter(task_path__endswith="cancelled_registrations_drop")
    assert waiting.status == "READY" and waiting.run_after > timezone.now()
    with pytest.raises(CommandError, match="tried again"):
        call_command("registrar_drop_cancelled")

    kamcmd.answer("")
    call_command("registrar_drop_cancelled")
    assert IssuedLine.objects.get(pk=line.pk).sip_ha1 is None


def test_given_a_future_cancellation_when_committed_then_nothing_is_dropped_yet(kamcmd, customer, pool, actor):
    import datetime as dt

    placement = numbers_add(customer_id=customer.pk, count=1, idempotency_key="k", actor=actor)
    (line,) = placement.application.lines.all()
    today = clock.today()

    numbers_cancel(numbers=[line.number_id], received_on=today, effective_on=today + dt.timedelta(days=3), actor=actor)
    jobs_run()
    call_command("registrar_drop_cancelled")

    assert kamcmd.called() == []
    assert IssuedLine.objects.get(pk=line.pk).sip_ha1 is not None


def test_given_a_number_issued_again_when_the_old_line_is_handled_then_the_new_holders_phones_stay(
    kamcmd, customer, pool, actor, other_customer
):
    from selfcare.audit.services import Actor

    placement = numbers_add(customer_id=customer.pk, count=1, idempotency_key="k", actor=actor)
    (old,) = placement.application.lines.all()
    numbers_cancel(numbers=[old.number_id], received_on=clock.today(), actor=actor)
    # Long after the quarantine the number is someone else's; the old line was never handled.
    new = IssuedLine.objects.create(
        application=placement.application,
        customer=other_customer,
        number_id=old.number_id,
        issued_at=clock.now(),
        sip_ha1="0" * 32,
        sip_ha1b="1" * 32,
    )

    assert cancelled_registrations_drop(actor=Actor.system("tests")) == [old.number_id]

    assert kamcmd.called() == []
    assert IssuedLine.objects.get(pk=old.pk).sip_ha1 is None
    assert IssuedLine.objects.get(pk=new.pk).sip_ha1 == "0" * 32


@pytest.fixture
def other_customer(plan):
    from selfcare.testing import CustomerFactory

    return CustomerFactory(plan=plan)
