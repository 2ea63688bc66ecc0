from __future__ import annotations

import datetime as dt
import io
import subprocess

import time_machine
from pypdf import PdfReader

from selfcare.accounts.services import customer_create
from selfcare.audit.models import AuditEntry
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_mark_posted, letters_print
from selfcare.secrets.purge import posted_secrets_purge


def _created(plan, actor):
    return customer_create(
        selfcare_id="newco0001",
        email="newco@example.com",
        contract_name="新規商事株式会社",
        plan_code=plan.code,
        postal_code="100-0001",
        address="東京都千代田区千代田1-1",
        actor=actor,
    )


def test_given_a_new_customer_with_a_generated_password_then_a_letter_carries_it_encrypted(plan, actor):
    created = _created(plan, actor)

    letter = Letter.objects.get(customer=created.customer, kind=Letter.Kind.SELFCARE_CREDENTIALS)
    assert letter.secret_encrypted and created.initial_password not in letter.secret_encrypted
    assert letter.recipient_name == "新規商事株式会社" and letter.address.startswith("東京都")
    assert created.initial_password not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_given_a_password_chosen_by_the_caller_then_no_letter_is_queued(plan, actor):
    customer_create(
        selfcare_id="chosen0001",
        email="c@example.com",
        contract_name="選択株式会社",
        plan_code=plan.code,
        password="a long passphrase nobody guesses",
        actor=actor,
    )

    assert not Letter.objects.filter(kind=Letter.Kind.SELFCARE_CREDENTIALS).exists()


def test_the_letter_prints_the_id_and_password_on_one_page(plan, actor, tmp_path):
    created = _created(plan, actor)
    letter = Letter.objects.get(kind=Letter.Kind.SELFCARE_CREDENTIALS)

    pdf = letters_print(letter_ids=[letter.pk], actor=actor)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    path = tmp_path / "credentials.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "newco0001" in text and created.initial_password in text
    assert "セルフケアパスワード" in text


def test_thirty_days_after_posting_the_initial_password_is_destroyed(plan, actor):
    _created(plan, actor)
    letter = Letter.objects.get(kind=Letter.Kind.SELFCARE_CREDENTIALS)
    letters_print(letter_ids=[letter.pk], actor=actor)
    letters_mark_posted(letter_ids=[letter.pk], actor=actor)
    posted = Letter.objects.get(pk=letter.pk).posted_at

    with time_machine.travel(posted + dt.timedelta(days=29), tick=False):
        posted_secrets_purge(actor=actor)
    assert Letter.objects.get(pk=letter.pk).secret_encrypted

    with time_machine.travel(posted + dt.timedelta(days=30, seconds=1), tick=False):
        posted_secrets_purge(actor=actor)
    assert Letter.objects.get(pk=letter.pk).secret_encrypted == ""
    assert AuditEntry.objects.filter(action="secrets.purged", target=f"letter:{letter.pk}").count() == 1


def test_key_rotation_re_encrypts_the_initial_password_too(plan, actor, settings):
    from cryptography.fernet import Fernet

    from selfcare.core import crypto
    from selfcare.secrets.rotation import credentials_rotate

    created = _created(plan, actor)
    old_key = settings.SELFCARE_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.SELFCARE_ENCRYPTION_KEYS = [new_key, old_key]

    credentials_rotate(actor=actor)

    settings.SELFCARE_ENCRYPTION_KEYS = [new_key]
    letter = Letter.objects.get(kind=Letter.Kind.SELFCARE_CREDENTIALS)
    assert crypto.decrypt(letter.secret_encrypted) == created.initial_password


def test_exactly_thirty_days_after_posting_the_initial_password_goes_as_the_numbers_passwords_do(plan, actor):
    """The same day boundary as the lines' purge (posted at or before the cut-off), not a second later."""
    _created(plan, actor)
    letter = Letter.objects.get(kind=Letter.Kind.SELFCARE_CREDENTIALS)
    letters_print(letter_ids=[letter.pk], actor=actor)
    letters_mark_posted(letter_ids=[letter.pk], actor=actor)
    posted = Letter.objects.get(pk=letter.pk).posted_at

    with time_machine.travel(posted + dt.timedelta(days=30), tick=False):
        posted_secrets_purge(actor=actor)

    assert Letter.objects.get(pk=letter.pk).secret_encrypted == ""


def test_a_posted_letter_of_any_kind_that_holds_a_secret_is_purged(plan, actor):
    """A kind added later is not forgotten: whatever letter holds a secret of its own loses it after posting."""
    _created(plan, actor)
    letter = Letter.objects.get(kind=Letter.Kind.SELFCARE_CREDENTIALS)
    letters_print(letter_ids=[letter.pk], actor=actor)
    letters_mark_posted(letter_ids=[letter.pk], actor=actor)
    Letter.objects.filter(pk=letter.pk).update(kind=Letter.Kind.SERVICE_START)  # as a kind other than today's one
    posted = Letter.objects.get(pk=letter.pk).posted_at

    with time_machine.travel(posted + dt.timedelta(days=31), tick=False):
        posted_secrets_purge(actor=actor)

    assert Letter.objects.get(pk=letter.pk).secret_encrypted == ""


def test_a_password_reset_before_printing_withdraws_the_letter_with_the_old_password(plan, actor):
    """A letter must never print a password that no longer works (seed_demo once did, resetting after creating)."""
    from selfcare.accounts.services import customer_reset_password

    created = _created(plan, actor)

    customer_reset_password(customer_id=created.customer.pk, actor=actor)

    assert not Letter.objects.filter(kind=Letter.Kind.SELFCARE_CREDENTIALS, secret_encrypted__gt="").exists()
    assert AuditEntry.objects.filter(action="secrets.superseded", customer=created.customer).count() == 1


def test_a_password_changed_after_printing_blanks_the_printed_letters_copy(plan, actor):
    from selfcare.accounts.services import customer_password_change

    created = _created(plan, actor)
    letter = Letter.objects.get(kind=Letter.Kind.SELFCARE_CREDENTIALS)
    letters_print(letter_ids=[letter.pk], actor=actor)

    customer_password_change(customer_id=created.customer.pk, new_password="a brand new password here", actor=actor)

    assert Letter.objects.get(pk=letter.pk).secret_encrypted == ""  # a reprint says a reissue is needed


def test_the_letter_is_the_one_the_login_page_and_the_manual_name(plan, actor, tmp_path):
    """The login page (the manual's words) sends customers to 「サービス開始のご案内」 for their ID and password."""
    _created(plan, actor)
    letter = Letter.objects.get(kind=Letter.Kind.SELFCARE_CREDENTIALS)
    path = tmp_path / "credentials.pdf"
    path.write_bytes(letters_print(letter_ids=[letter.pk], actor=actor))

    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "サービス開始のご案内" in text and "IP電話サービス開始のご案内" not in text
