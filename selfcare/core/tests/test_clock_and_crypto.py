"""The clock (calendar months, the carrier's date), encryption at rest with key rotation, and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from selfcare.audit.models import AuditEntry
from selfcare.audit.services import audit_record
from selfcare.core import clock, crypto
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.secrets import rotation as credentials_store
from selfcare.secrets.rotation import credentials_rotate

D = dt.date
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


# --- clock ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2024, 2, 29), 6, D(2024, 8, 29)),
        (D(2024, 12, 15), 6, D(2025, 6, 15)),
        (D(2024, 12, 31), 6, D(2025, 6, 30)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 10, 31), 1, D(2024, 11, 30)),
        (D(2024, 12, 31), 1, D(2025, 1, 31)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2024, 5, 17), 0, D(2024, 5, 17)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 1, 15), -1, D(2023, 12, 15)),
        (D(2025, 6, 30), -6, D(2024, 12, 30)),
        (D(2024, 1, 31), -25, D(2021, 12, 31)),
        (D(2024, 11, 30), 13, D(2025, 12, 30)),
    ],
)
def test_given_a_day_when_adding_calendar_months_then_the_day_is_clamped_to_the_month_end(day, months, expected):
    assert clock.add_months(day, months) == expected


@time_machine.travel(dt.datetime(2024, 12, 31, 15, 30, tzinfo=dt.UTC), tick=False)
def test_given_utc_new_years_eve_afternoon_when_asking_today_then_it_is_already_new_year_in_tokyo():
    assert clock.today() == D(2025, 1, 1)
    assert clock.now() == dt.datetime(2024, 12, 31, 15, 30, tzinfo=dt.UTC)
    assert timezone.is_aware(clock.now())


@time_machine.travel(dt.datetime(2024, 12, 31, 14, 59, 59, tzinfo=dt.UTC), tick=False)
def test_given_one_second_before_tokyo_midnight_when_asking_today_then_it_is_still_the_old_day():
    assert clock.today() == D(2024, 12, 31)


# --- crypto --------------------------------------------------------------------------------------


@pytest.mark.parametrize("clear", ["1234", "Hq7ZmP4kRw9x", "", "付加サービスパスワード", "x" * 1000])
def test_given_a_clear_text_when_encrypted_then_it_decrypts_back_and_is_not_visible(clear):
    token = crypto.encrypt(clear)

    assert token.isascii()
    if clear:
        assert clear not in token
    assert crypto.decrypt(token) == clear


def test_given_the_same_clear_text_when_encrypted_twice_then_the_tokens_differ():
    assert crypto.encrypt("1234") != crypto.encrypt("1234")


def test_given_a_token_of_another_key_when_decrypting_then_invalid_token(settings):
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_A]
    token = crypto.encrypt("1234")
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B]

    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)


@pytest.mark.parametrize(
    "keys",
    [[], ["not-a-fernet-key"], [KEY_A, "not-a-fernet-key"], ["c2hvcnQ="]],
    ids=["empty", "garbage", "good-then-garbage", "too-short"],
)
def test_given_a_bad_key_setting_when_encrypting_then_improperly_configured(settings, keys):
    settings.SELFCARE_ENCRYPTION_KEYS = keys

    with pytest.raises(ImproperlyConfigured, match="SELFCARE_ENCRYPTION_KEYS"):
        crypto.encrypt("1234")


# --- key rotation --------------------------------------------------------------------------------


def _credentials(lines):
    return {line.pk: (line.service_pin(), line.sip_password()) for line in lines}


def _raw(lines):
    return {
        pk: (pin, sip)
        for pk, pin, sip in IssuedLine.objects.filter(pk__in=[line.pk for line in lines]).values_list(
            "pk", "service_pin_encrypted", "sip_password_encrypted"
        )
    }


@pytest.fixture
def lines_under_key_a(settings, customer, pool, actor):
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_A]
    placement = numbers_add(customer_id=customer.pk, count=5, idempotency_key="rotate", actor=actor)
    lines = list(placement.application.lines.all())
    return lines, _credentials(lines)


def test_given_lines_under_key_a_when_rotated_to_key_b_then_they_decrypt_with_key_b_only(
    settings, actor, lines_under_key_a
):
    lines, clear = lines_under_key_a
    before = _raw(lines)
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(crypto.InvalidToken):
        lines[0].service_pin()

    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    rotated = credentials_rotate(actor=actor)

    assert rotated == 5
    after = _raw(lines)
    assert all(after[pk][0] != before[pk][0] and after[pk][1] != before[pk][1] for pk in before)
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B]
    assert _credentials(IssuedLine.objects.filter(pk__in=clear)) == clear
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_A]
    with pytest.raises(crypto.InvalidToken):
        IssuedLine.objects.get(pk=lines[0].pk).sip_password()
    entry = AuditEntry.objects.get(action="credentials.rotated")
    assert entry.detail == {"lines": 5, "letters": 0}


def test_given_a_rotation_when_run_again_then_it_is_harmless(settings, actor, lines_under_key_a):
    _, clear = lines_under_key_a
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    assert credentials_rotate(actor=actor) == 5
    assert credentials_rotate(actor=actor) == 5

    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B]
    assert _credentials(IssuedLine.objects.filter(pk__in=clear)) == clear


def test_given_more_lines_than_a_chunk_when_rotating_then_every_chunk_is_done(
    settings, actor, monkeypatch, lines_under_key_a
):
    _, clear = lines_under_key_a
    monkeypatch.setattr(credentials_store, "ROTATE_CHUNK", 2)
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    progress = []

    assert credentials_rotate(actor=actor, progress=progress.append) == 5

    assert progress == [2, 2, 1]
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B]
    assert _credentials(IssuedLine.objects.filter(pk__in=clear)) == clear


def test_given_lines_whose_secrets_were_destroyed_when_rotating_then_they_are_skipped(
    settings, actor, lines_under_key_a
):
    lines, clear = lines_under_key_a
    destroyed = lines[0].pk
    IssuedLine.objects.filter(pk=destroyed).update(
        secrets_destroyed_at=clock.now(), service_pin_encrypted="", sip_password_encrypted=""
    )
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    assert credentials_rotate(actor=actor) == 4

    line = IssuedLine.objects.get(pk=destroyed)
    assert line.service_pin() is None
    assert line.sip_password() is None
    settings.SELFCARE_ENCRYPTION_KEYS = [KEY_B]
    del clear[destroyed]
    assert _credentials(IssuedLine.objects.filter(pk__in=clear)) == clear


def test_given_no_lines_when_rotating_then_zero_and_an_audit_entry(db, actor):
    assert credentials_rotate(actor=actor) == 0
    assert AuditEntry.objects.get(action="credentials.rotated").detail == {"lines": 0, "letters": 0}


# --- the audit log is written once -----------------------------------------------------------------


def test_given_an_audit_entry_when_changed_and_saved_then_refused_and_the_row_is_unchanged(db, actor):
    entry = audit_record(actor=actor, action="test.something", target="t1", detail={"a": 1})

    entry.action = "test.forged"
    entry.detail = {"a": 2}
    with pytest.raises(PermissionError):
        entry.save()

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.action == "test.something"
    assert stored.detail == {"a": 1}
    with pytest.raises(PermissionError):
        stored.save(update_fields=["action"])


def test_given_an_audit_entry_when_deleted_then_refused_and_the_row_remains(db, actor):
    entry = audit_record(actor=actor, action="test.something")

    with pytest.raises(PermissionError):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_given_an_actor_when_recording_then_who_what_when_and_where_are_kept(db, customer, actor):
    with time_machine.travel(dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        entry = audit_record(actor=actor, action="test.something", customer=customer, target="x" * 200)

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.at == dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
    assert stored.actor_kind == AuditEntry.ActorKind.SYSTEM
    assert stored.actor_label == "tests"
    assert stored.customer_id == customer.pk
    assert stored.target == "x" * 128
    assert stored.detail == {}
