"""A forgotten-password request locks nobody out (rules.md, *forgotten password*): the current password keeps
working until the letter's new one is first used; from then on only the new one works. Both audited."""

from __future__ import annotations

from django.test import Client

from selfcare.accounts import services
from selfcare.audit.models import AuditEntry
from selfcare.core import crypto
from selfcare.letters.models import Letter
from selfcare.portal.tests.conftest import PASSWORD, log_in, password_step
from selfcare.testing import TEST_ACTOR

FORGOTTEN = "/login/forgotten/"


def ask(customer) -> str:
    """Ask for a new password as anyone knowing the ID and e-mail could; return the letter's password."""
    Client().post(FORGOTTEN, {"selfcare_id": customer.selfcare_id, "email": customer.email})
    letter = Letter.objects.filter(customer=customer, kind=Letter.Kind.SELFCARE_CREDENTIALS).latest("queued_at")
    return crypto.decrypt(letter.secret_encrypted)


def logs_in(customer, password: str) -> bool:
    response = password_step(Client(), customer.selfcare_id, password)
    return response.status_code == 302 and response.url == "/login/verify/"


def test_given_a_request_then_the_current_password_keeps_working_and_the_letters_too_until_it_is_used(
    login_customer, mailoutbox
):
    letter_password = ask(login_customer)

    assert logs_in(login_customer, PASSWORD)  # nobody is locked out while the letter is on its way
    assert logs_in(login_customer, PASSWORD)
    assert logs_in(login_customer, letter_password)  # first use: it becomes the password
    assert not logs_in(login_customer, PASSWORD)  # the old one stopped
    assert logs_in(login_customer, letter_password)

    login_customer.user.refresh_from_db()
    assert login_customer.user.password_change_required and login_customer.user.pending_password == ""
    used = AuditEntry.objects.get(action="customer.password_letter_used")
    assert used.customer == login_customer and used.detail == {"previous_login": "stopped"}


def test_given_the_letters_password_used_then_it_must_be_changed_at_once(client, login_customer, mailoutbox):
    letter_password = ask(login_customer)

    log_in(client, login_customer, mailoutbox, password=letter_password)

    assert client.get("/menu/").url == "/password/"


def test_given_the_customer_changes_the_password_meanwhile_then_the_letters_stops_working(login_customer):
    letter_password = ask(login_customer)
    new = "a brand new password chosen meanwhile"

    services.customer_password_change(customer_id=login_customer.pk, new_password=new, actor=TEST_ACTOR)

    assert not logs_in(login_customer, letter_password) and not logs_in(login_customer, PASSWORD)
    assert logs_in(login_customer, new)
    changed = AuditEntry.objects.get(action="customer.password_changed")
    assert changed.detail == {"pending_letter_voided": True, "pending_letter": "withdrawn"}


def test_given_staff_reset_the_password_meanwhile_then_the_letters_stops_working(login_customer):
    letter_password = ask(login_customer)

    reset = services.customer_reset_password(customer_id=login_customer.pk, actor=TEST_ACTOR)

    assert not logs_in(login_customer, letter_password) and not logs_in(login_customer, PASSWORD)
    assert logs_in(login_customer, reset)


def test_given_the_letters_password_while_the_account_is_paused_then_refused_and_nothing_changes(login_customer):
    from django.utils import timezone

    from selfcare.accounts.models import User

    letter_password = ask(login_customer)
    User.objects.filter(pk=login_customer.user.pk).update(locked_until=timezone.now() + timezone.timedelta(hours=1))

    assert not logs_in(login_customer, letter_password)

    login_customer.user.refresh_from_db()
    assert login_customer.user.pending_password and login_customer.user.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="customer.password_letter_used").exists()
