"""Staff reissue a number's IP phone password: new password and digests, a letter, the audit trail, the purge."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from selfcare.accounts.models import User
from selfcare.audit.models import AuditEntry
from selfcare.backoffice.admin import IssuedLineAdmin
from selfcare.core import clock, crypto
from selfcare.inventory.models import format_number
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_mark_posted, letters_print, letters_render
from selfcare.letters.tests.conftest import POSTED, pdf_text, place
from selfcare.orders.credentials import sip_digests
from selfcare.orders.errors import LineNotFound, LineNotLive
from selfcare.orders.invariants import invariants_check
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_cancel, sip_password_reissue
from selfcare.secrets.purge import posted_secrets_purge
from selfcare.testing import TEST_ACTOR, frozen_at, jobs_run


def reload(line: IssuedLine) -> IssuedLine:
    return IssuedLine.objects.get(pk=line.pk)


@pytest.fixture
def line(customer, pool) -> IssuedLine:
    letter = place(customer, 2)
    return letter.application.lines.order_by("number_id").first()


# --- the service -------------------------------------------------------------------------------


def test_given_a_line_when_reissued_then_a_new_password_with_its_digests_and_the_pin_kept(line):
    old_password, old_pin, old_ha1 = line.sip_password(), line.service_pin(), line.sip_ha1

    before = clock.now()
    sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)

    after = reload(line)
    new_password = after.sip_password()
    assert new_password and new_password != old_password
    assert len(new_password) == 12
    assert after.service_pin() == old_pin
    assert after.sip_ha1 != old_ha1
    assert after.sip_ha1 == sip_digests(number=line.number_id, password=new_password).ha1
    assert after.sip_ha1b == sip_digests(number=line.number_id, password=new_password).ha1b
    # Stamped while reissuing (comparing whole seconds with "now" failed when the second turned in between).
    assert before <= after.sip_password_reissued_at <= clock.now()
    assert after.secrets_destroyed_at is None


def test_given_a_line_when_reissued_then_a_letter_for_that_line_is_queued_to_the_contract_address(line, customer):
    letter = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)

    assert letter.kind == Letter.Kind.SIP_PASSWORD_REISSUE
    assert (letter.line_id, letter.application_id, letter.customer_id) == (line.pk, None, customer.pk)
    assert (letter.recipient_name, letter.postal_code, letter.address) == (
        customer.contract_name,
        customer.postal_code,
        customer.address,
    )
    assert (letter.print_count, letter.posted_at) == (0, None)


def test_given_a_reissue_when_audited_then_who_and_what_but_never_the_password_or_digest(line, customer):
    staff = User.objects.create_user(username="operator7", password=None, is_staff=True)
    from selfcare.audit.services import Actor

    letter = sip_password_reissue(line_id=line.pk, actor=Actor.staff(staff, "198.51.100.9"))

    (entry,) = AuditEntry.objects.filter(action="sip_password.reissued")
    assert (entry.actor_user_id, entry.ip_address, entry.customer_id, entry.target) == (
        staff.pk,
        "198.51.100.9",
        customer.pk,
        line.number_id,
    )
    assert entry.detail == {"line": line.pk, "application": line.application.application_number, "letter": letter.pk}
    after = reload(line)
    everything = json.dumps(list(AuditEntry.objects.values("detail", "target")))
    for secret in (after.sip_password(), after.sip_ha1, after.sip_ha1b, line.sip_password()):
        assert secret not in everything


def test_given_a_reissue_twice_then_two_letters_and_only_the_last_password_counts(line):
    sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    second_password = reload(line).sip_password()
    sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)

    after = reload(line)
    assert after.sip_password() != second_password
    assert Letter.objects.filter(line=line, kind=Letter.Kind.SIP_PASSWORD_REISSUE).count() == 2


def test_given_an_unknown_line_when_reissuing_then_refused(db):
    with pytest.raises(LineNotFound):
        sip_password_reissue(line_id=987654, actor=TEST_ACTOR)


def test_given_a_cancellation_in_effect_when_reissuing_then_refused_and_nothing_changes(line):
    numbers_cancel(numbers=[line.number_id], received_on=clock.today(), actor=TEST_ACTOR)
    before = reload(line)

    with pytest.raises(LineNotLive) as refusal:
        sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)

    assert format_number(line.number_id) in str(refusal.value)
    after = reload(line)
    assert (after.sip_password_encrypted, after.sip_ha1) == (before.sip_password_encrypted, before.sip_ha1)
    assert not Letter.objects.filter(line=line).exists()
    assert not AuditEntry.objects.filter(action="sip_password.reissued").exists()


def test_given_a_cancellation_not_yet_in_effect_when_reissuing_then_allowed(line):
    today = clock.today()
    numbers_cancel(
        numbers=[line.number_id], received_on=today, effective_on=today + dt.timedelta(days=20), actor=TEST_ACTOR
    )

    letter = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)

    assert letter.line_id == line.pk


def test_given_the_registrar_is_configured_when_reissued_then_its_registrations_are_dropped_by_a_job(
    line, settings, monkeypatch
):
    settings.SELFCARE_REGISTRAR_CTL = "unixs:/run/kamailio/kamailio_ctl"
    dropped: list[str] = []
    monkeypatch.setattr("selfcare.registrar.control.registrations_drop", lambda *, number: dropped.append(number))

    sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    assert dropped == []  # a job, committed with the reissue; the worker runs it

    jobs_run()
    assert dropped == [line.number_id]


# --- the letter --------------------------------------------------------------------------------


def test_given_a_reissue_letter_when_rendered_then_one_page_with_the_number_and_new_password_only(line, staff):
    pin = line.service_pin()
    letter = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    password = reload(line).sip_password()

    pages = pdf_text(letters_print(letter_ids=[letter.pk], actor=staff))

    assert len(pages) == 1
    (text,) = pages
    assert "IP加入電話パスワード再発行のご案内" in text
    assert line.application.application_number in text
    number = f"050-{line.number_id[3:7]}-{line.number_id[7:]}"
    (row,) = [row for row in text.splitlines() if number in row and password in row]
    # The PIN did not change, so it is not put on paper again.
    assert "変更ありません" in row
    assert pin not in row.replace(number, "").replace(password, "")
    # Only its own line: the application's other number is not on it.
    other = line.application.lines.exclude(pk=line.pk).get()
    assert f"050-{other.number_id[3:7]}-{other.number_id[7:]}" not in text


def test_given_letters_of_both_kinds_when_printed_together_then_each_renders_its_own(line, staff):
    reissue = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    start = line.application.letter

    pages = pdf_text(letters_render(letter_ids=[start.pk, reissue.pk]))

    assert len(pages) == 2
    assert "IP電話サービス開始のご案内" in pages[0] and "再発行" not in pages[0].split("\n")[10]
    assert "IP加入電話パスワード再発行のご案内" in pages[1]
    # The start letter shows the password in force now.
    assert reload(line).sip_password() in pages[0]


def test_given_a_reissue_letter_when_printed_and_posted_then_audited_with_its_line(line, staff):
    letter = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)

    letters_print(letter_ids=[letter.pk], actor=staff)
    letters_mark_posted(letter_ids=[letter.pk], actor=staff)

    printed = AuditEntry.objects.get(action="letter.printed")
    posted = AuditEntry.objects.get(action="letter.posted")
    assert printed.detail["kind"] == posted.detail["kind"] == "sip_password_reissue"
    assert printed.detail["line"] == posted.detail["line"] == line.pk


@pytest.fixture
def staff(db):
    from selfcare.audit.services import Actor

    user = User.objects.create_user(username="operator1", password=None, is_staff=True)
    return Actor.staff(user, ip_address="198.51.100.7")


# --- the purge of posted passwords ---------------------------------------------------------------


def _post(letter: Letter, staff, moment: dt.datetime) -> None:
    with frozen_at(moment - dt.timedelta(hours=1)):
        letters_print(letter_ids=[letter.pk], actor=staff, reason="reissue" if letter.print_count else "")
    with frozen_at(moment):
        letters_mark_posted(letter_ids=[letter.pk], actor=staff)


def test_given_a_reissue_letter_not_yet_posted_when_the_start_letter_is_old_then_the_new_password_stays(
    customer, pool, staff
):
    with frozen_at(POSTED - dt.timedelta(hours=3)):
        start = place(customer, 1)
    _post(start, staff, POSTED)
    (line,) = start.application.lines.all()
    with frozen_at(POSTED + dt.timedelta(days=29)):
        reissue = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    password = reload(line).sip_password()

    with frozen_at(POSTED + dt.timedelta(days=31)):
        assert posted_secrets_purge(actor=TEST_ACTOR) == 0
    assert reload(line).sip_password() == password

    _post(reissue, staff, POSTED + dt.timedelta(days=32))
    with frozen_at(POSTED + dt.timedelta(days=61)):
        assert posted_secrets_purge(actor=TEST_ACTOR) == 0
    with frozen_at(POSTED + dt.timedelta(days=62)):
        assert posted_secrets_purge(actor=TEST_ACTOR) == 1
    after = reload(line)
    assert (after.sip_password(), after.service_pin()) == (None, None)
    assert after.sip_ha1 is not None  # the phone keeps working: the registrar keeps the digest
    assert [r for r in invariants_check() if not r.ok] == []


def test_given_destroyed_passwords_when_reissued_then_the_new_one_is_kept_until_its_letter_is_old(
    customer, pool, staff
):
    with frozen_at(POSTED - dt.timedelta(hours=3)):
        start = place(customer, 1)
    _post(start, staff, POSTED)
    (line,) = start.application.lines.all()
    with frozen_at(POSTED + dt.timedelta(days=30)):
        assert posted_secrets_purge(actor=TEST_ACTOR) == 1
    destroyed_at = reload(line).secrets_destroyed_at

    with frozen_at(POSTED + dt.timedelta(days=40)):
        reissue = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    after = reload(line)
    assert after.sip_password() and after.service_pin() is None
    assert after.secrets_destroyed_at == destroyed_at  # the PIN stays destroyed
    assert [r for r in invariants_check() if not r.ok] == []
    (text,) = pdf_text(letters_render(letter_ids=[reissue.pk]))
    assert after.sip_password() in text

    _post(reissue, staff, POSTED + dt.timedelta(days=41))
    with frozen_at(POSTED + dt.timedelta(days=70)):
        assert posted_secrets_purge(actor=TEST_ACTOR) == 0
    with frozen_at(POSTED + dt.timedelta(days=71)):
        assert posted_secrets_purge(actor=TEST_ACTOR) == 1
        assert posted_secrets_purge(actor=TEST_ACTOR) == 0
    purged = reload(line)
    assert purged.sip_password_encrypted == ""
    assert purged.secrets_destroyed_at == POSTED + dt.timedelta(days=71)
    entry = AuditEntry.objects.filter(action="secrets.purged").latest("id")
    assert entry.detail["numbers"] == [line.number_id]
    (text,) = pdf_text(letters_render(letter_ids=[reissue.pk]))
    assert "消去済み" in text


def test_given_a_reissue_after_the_purge_chose_the_line_then_the_newer_password_survives(
    customer, pool, staff, monkeypatch
):
    from selfcare.secrets import purge as letter_services

    with frozen_at(POSTED - dt.timedelta(hours=3)):
        start = place(customer, 1)
    _post(start, staff, POSTED)
    (line,) = start.application.lines.all()
    with frozen_at(POSTED + dt.timedelta(days=30)):
        posted_secrets_purge(actor=TEST_ACTOR)
    with frozen_at(POSTED + dt.timedelta(days=31)):
        reissue = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    _post(reissue, staff, POSTED + dt.timedelta(days=32))
    choose = letter_services.reissued_passwords_due

    def reissue_meanwhile(**kwargs):
        chosen = choose(**kwargs)
        # What another transaction's reissue commits between the purge's choice and its update.
        IssuedLine.objects.filter(pk=line.pk).update(
            sip_password_encrypted=crypto.encrypt("NEWERPASSWRD"), sip_password_reissued_at=clock.now()
        )
        return chosen

    monkeypatch.setattr(letter_services, "reissued_passwords_due", reissue_meanwhile)
    with frozen_at(POSTED + dt.timedelta(days=70)):
        assert posted_secrets_purge(actor=TEST_ACTOR) == 0
    assert reload(line).sip_password() == "NEWERPASSWRD"


# --- the back office action ---------------------------------------------------------------------


def _admin_request(user: User, confirmed: bool = True):
    data = {"post": "yes"} if confirmed else {}
    request = RequestFactory().post("/staff/orders/issuedline/", data, REMOTE_ADDR="198.51.100.20")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_given_staff_with_the_permission_when_the_action_runs_then_each_selected_line_is_reissued(line, customer):
    from django.contrib import admin

    user = User.objects.create_user(username="centre1", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="reissue_sip_password"))
    user = User.objects.get(pk=user.pk)
    model_admin = IssuedLineAdmin(IssuedLine, admin.site)
    request = _admin_request(user)
    old = line.sip_password()

    assert model_admin.has_reissue_permission(request)
    assert "reissue_sip_password" in model_admin.get_actions(request)
    model_admin.reissue_sip_password(request, IssuedLine.objects.filter(customer=customer))

    assert reload(line).sip_password() != old
    assert Letter.objects.filter(kind=Letter.Kind.SIP_PASSWORD_REISSUE).count() == 2
    entry = AuditEntry.objects.filter(action="sip_password.reissued").first()
    assert (entry.actor_user_id, entry.ip_address) == (user.pk, "198.51.100.20")
    messages = [str(message) for message in request._messages]  # type: ignore[attr-defined]
    assert any(format_number(line.number_id) in message for message in messages)


def test_given_staff_without_the_permission_then_the_action_is_not_offered(line):
    from django.contrib import admin

    user = User.objects.create_user(username="sales1", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_issuedline"))
    request = _admin_request(User.objects.get(pk=user.pk))

    assert "reissue_sip_password" not in IssuedLineAdmin(IssuedLine, admin.site).get_actions(request)


def test_given_a_cancelled_line_among_the_selection_when_the_action_runs_then_all_is_refused_by_name(line, customer):
    from django.contrib import admin

    numbers_cancel(numbers=[line.number_id], received_on=clock.today(), actor=TEST_ACTOR)
    user = User.objects.create_superuser(username="root1", password=None)
    request = _admin_request(user)

    IssuedLineAdmin(IssuedLine, admin.site).reissue_sip_password(request, IssuedLine.objects.filter(customer=customer))

    messages = [(message.level_tag, str(message)) for message in request._messages]  # type: ignore[attr-defined]
    assert any(tag == "error" and format_number(line.number_id) in text for tag, text in messages)
    assert Letter.objects.filter(kind=Letter.Kind.SIP_PASSWORD_REISSUE).count() == 0


def test_given_the_line_page_then_the_digests_are_never_shown(line):
    from django.contrib import admin

    user = User.objects.create_superuser(username="root2", password=None)
    form = IssuedLineAdmin(IssuedLine, admin.site).get_form(_admin_request(user), line)
    fields = IssuedLineAdmin(IssuedLine, admin.site).get_fields(_admin_request(user), line)

    for secret in ("sip_ha1", "sip_ha1b", "sip_password_encrypted", "service_pin_encrypted"):
        assert secret not in fields and secret not in form.base_fields
