"""The issued number and its IP phone password register at a real Kamailio, checked with sipp.

Each test starts Kamailio (from `registrar_config`'s kamailio.cfg) on a free port as a non-root
user; it reads the digests from this test database through the read-only registrar role, so every
row it must see is committed (transactional tests).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from selfcare.audit.models import AuditEntry
from selfcare.core import clock
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_cancel, sip_password_reissue
from selfcare.registrar import control
from selfcare.testing import issue_with_passwords, jobs_run

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_issued_number_registers_with_its_password(registrar, customer, pool, actor):
    [(number, password)] = issue_with_passwords(customer, actor)

    registrar.register(number=number, password=password, expect=200)

    [contact] = control.registrations_of(number=number)
    assert contact.startswith(f"sip:{number}@127.0.0.1:")


def test_the_domain_form_of_the_username_uses_ha1b(registrar, customer, pool, actor, settings):
    [(number, password)] = issue_with_passwords(customer, actor)

    registrar.register(
        number=number, password=password, username=f"{number}@{settings.SELFCARE_SIP_DOMAIN}", expect=200
    )


def test_a_wrong_password_is_refused(registrar, customer, pool, actor):
    [(number, password)] = issue_with_passwords(customer, actor)

    registrar.register(number=number, password=password[::-1], expect=403)
    registrar.register(number=number, password=password.lower() + "x", expect=403)

    assert control.registrations_of(number=number) == []


def test_an_unknown_number_is_refused(registrar, customer, pool, actor):
    [(_number, password)] = issue_with_passwords(customer, actor)
    never_issued = pool[-1]

    registrar.register(number=never_issued, password=password, expect=403)
    # Another number's password is not this one's.
    registrar.register(number=pool[1], password=password, expect=403)


def test_someone_elses_number_cannot_be_registered_with_ones_own_credentials(registrar, customer, pool, actor):
    [(number, password), (other, _)] = issue_with_passwords(customer, actor, count=2)

    # Authenticating as one number while registering the other: the registrar checks the username too.
    registrar.register(number=other, username=number, password=password, expect=403)


def test_a_cancellation_in_effect_is_refused_and_its_phones_dropped(registrar, customer, pool, actor):
    [(number, password), (kept, kept_password)] = issue_with_passwords(customer, actor, count=2)
    registrar.register(number=number, password=password, expect=200)
    registrar.register(number=kept, password=kept_password, expect=200)

    numbers_cancel(numbers=[number], received_on=clock.today(), actor=actor)
    # Refused at once (the database), and the phone dropped by the job the cancellation enqueued.
    registrar.register(number=number, password=password, expect=403)
    jobs_run()

    assert control.registrations_of(number=number) == []
    registrar.register(number=number, password=password, expect=403)
    assert IssuedLine.objects.get(number_id=number).sip_ha1 is None  # the digest is forgotten
    assert AuditEntry.objects.filter(action="registrar.registrations_dropped", detail__numbers=[number]).exists()
    # The customer's other number is untouched.
    assert len(control.registrations_of(number=kept)) == 1
    registrar.register(number=kept, password=kept_password, expect=200)


def test_a_future_cancellation_works_until_its_date_then_the_daily_run_drops_it(
    registrar, customer, pool, actor, time_machine
):
    [(number, password)] = issue_with_passwords(customer, actor)
    today = clock.today()
    numbers_cancel(numbers=[number], received_on=today, effective_on=today + dt.timedelta(days=1), actor=actor)

    # The number stays the customer's until the effective date.
    registrar.register(number=number, password=password, expect=200)
    call_command("registrar_drop_cancelled")
    assert len(control.registrations_of(number=number)) == 1

    time_machine.move_to(clock.now() + dt.timedelta(days=1))
    call_command("registrar_drop_cancelled")

    assert control.registrations_of(number=number) == []
    registrar.register(number=number, password=password, expect=403)
    call_command("registrar_drop_cancelled")  # nothing left: a second run changes nothing
    assert AuditEntry.objects.filter(action="registrar.registrations_dropped").count() == 1


def test_after_a_reissue_the_old_password_is_refused_and_the_new_one_accepted(registrar, customer, pool, actor):
    [(number, old_password)] = issue_with_passwords(customer, actor)
    registrar.register(number=number, password=old_password, expect=200)

    line = IssuedLine.objects.get(number_id=number)
    sip_password_reissue(line_id=line.pk, actor=actor)
    new_password = IssuedLine.objects.get(pk=line.pk).sip_password()
    jobs_run()  # the job the reissue enqueued

    assert new_password != old_password
    # The phone registered with the old password is gone...
    assert control.registrations_of(number=number) == []
    # ...and the old password does not register again.
    registrar.register(number=number, password=old_password, expect=403)
    registrar.register(number=number, password=new_password, expect=200)
    assert len(control.registrations_of(number=number)) == 1


def test_a_realm_other_than_the_domain(registrar_login, transactional_db, customer, pool, actor, settings):
    """Digests and kamailio.cfg follow SELFCARE_SIP_REALM; the view and the To header keep the domain."""
    from selfcare.registrar.tests.conftest import registrar_db_url
    from selfcare.registrar.tests.kamailio import Registrar

    settings.SELFCARE_SIP_REALM = "050 registrar"
    [(number, password)] = issue_with_passwords(customer, actor)
    running = Registrar(db_url=registrar_db_url(registrar_login))
    try:
        running.start()
        assert 'auth_challenge("050 registrar", "1")' in running.config.read_text()
        running.register(number=number, password=password, expect=200)
        running.register(number=number, password=password + "x", expect=403)
    finally:
        running.stop()
