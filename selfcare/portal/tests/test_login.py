"""Login, password step: one answer for every refusal, account lock, per-IP throttle, no staff, new session keys."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone, translation

from selfcare.accounts import login as login_steps
from selfcare.accounts.login_errors import LoginRefused, TooManyAttempts
from selfcare.accounts.models import User
from selfcare.audit.models import AuditEntry
from selfcare.portal.tests.conftest import PASSWORD, error_text, html, log_in, password_step
from selfcare.testing import CustomerFactory, login_code

WRONG = "not the right password at all"


def refused_message() -> str:
    with translation.override("ja"):
        return str(LoginRefused())


def test_given_unknown_id_and_wrong_password_when_logging_in_then_the_answer_is_the_same(
    client, login_customer, mailoutbox
):
    wrong_password = password_step(client, login_customer.selfcare_id, WRONG)
    unknown_id = password_step(client, "nobody-here", PASSWORD)

    assert wrong_password.status_code == unknown_id.status_code == 200
    assert error_text(wrong_password) == error_text(unknown_id) == refused_message()
    assert mailoutbox == []


def test_given_a_refused_login_when_the_page_is_shown_then_the_id_is_kept_but_not_the_password(client, login_customer):
    response = password_step(client, login_customer.selfcare_id, WRONG)

    page = html(response)
    assert f'value="{login_customer.selfcare_id}"' in page
    assert WRONG not in page


def test_given_nine_failures_when_the_right_password_is_given_then_login_goes_on_and_the_count_resets(
    client, login_customer, mailoutbox
):
    for _ in range(login_steps.LOCK_AFTER_FAILURES - 1):
        password_step(client, login_customer.selfcare_id, WRONG)

    log_in(client, login_customer, mailoutbox)

    login_customer.user.refresh_from_db()
    assert login_customer.user.consecutive_failures == 0
    assert login_customer.user.locked_until is None


def test_given_ten_consecutive_failures_when_the_right_password_is_given_then_it_is_refused_alike(
    client, login_customer, mailoutbox
):
    for _ in range(login_steps.LOCK_AFTER_FAILURES):
        password_step(client, login_customer.selfcare_id, WRONG)

    response = password_step(client, login_customer.selfcare_id, PASSWORD)

    assert response.status_code == 200
    assert error_text(response) == refused_message()
    assert mailoutbox == []
    login_customer.user.refresh_from_db()
    assert login_customer.user.locked_until is not None and login_customer.user.locked_until > timezone.now()
    assert AuditEntry.objects.filter(action="login.failed", detail__reason="locked").count() == 1


def test_given_the_lock_rules_when_failures_grow_then_the_lock_grows_up_to_a_day():
    assert login_steps.lock_duration(0) == dt.timedelta(0)
    assert login_steps.lock_duration(9) == dt.timedelta(0)
    assert login_steps.lock_duration(10) == dt.timedelta(minutes=1)
    assert login_steps.lock_duration(11) == dt.timedelta(minutes=2)
    assert login_steps.lock_duration(12) == dt.timedelta(minutes=4)
    assert login_steps.lock_duration(40) == dt.timedelta(hours=24)
    durations = [login_steps.lock_duration(n) for n in range(10, 30)]
    assert durations == sorted(durations)


def test_given_a_locked_account_when_the_lock_has_passed_then_the_right_password_works_and_new_failures_lock_longer(
    client, login_customer, frozen
):
    user = login_customer.user
    for _ in range(login_steps.LOCK_AFTER_FAILURES):
        password_step(client, user.username, WRONG)
    user.refresh_from_db()
    assert user.locked_until == timezone.now() + dt.timedelta(minutes=1)

    frozen.shift(dt.timedelta(seconds=59))
    still_locked = password_step(client, user.username, PASSWORD)
    frozen.shift(dt.timedelta(seconds=2))
    unlocked = password_step(Client(), user.username, PASSWORD)

    assert error_text(still_locked) == refused_message()
    assert unlocked.status_code == 302 and unlocked.url == "/login/verify/"

    password_step(client, user.username, WRONG)  # the 11th consecutive failure
    user.refresh_from_db()
    assert user.locked_until == timezone.now() + dt.timedelta(minutes=2)


def test_given_many_failures_from_one_address_when_logging_in_from_it_then_the_network_is_throttled(
    client, login_customer, mailoutbox
):
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(login_steps.IP_FAILURES_ALLOWED):
        # Unknown IDs: no account gets locked, only the address counts.
        response = password_step(client, f"guess{n:04d}", WRONG, **attacker)
        assert error_text(response) == refused_message()

    throttled = password_step(Client(), login_customer.selfcare_id, PASSWORD, **attacker)
    elsewhere = password_step(Client(), login_customer.selfcare_id, PASSWORD, REMOTE_ADDR="198.51.100.7")

    with translation.override("ja"):
        expected = str(TooManyAttempts(minutes=login_steps.IP_WINDOW_SECONDS // 60))
    assert throttled.status_code == 200 and error_text(throttled) == expected
    assert elsewhere.status_code == 302 and elsewhere.url == "/login/verify/"
    assert len(mailoutbox) == 1


def test_given_a_staff_user_with_a_customer_when_logging_in_to_the_portal_then_refused_alike(
    client, login_customer, mailoutbox
):
    User.objects.filter(pk=login_customer.user.pk).update(is_staff=True)

    response = password_step(client, login_customer.selfcare_id, PASSWORD)

    assert response.status_code == 200 and error_text(response) == refused_message()
    assert mailoutbox == []
    assert client.get("/menu/").url == "/login/"


def test_given_a_staff_user_without_customer_when_logging_in_to_the_portal_then_refused_alike(client, db, mailoutbox):
    User.objects.create_user(username="operator1", password=PASSWORD, email="op@example.com", is_staff=True)

    response = password_step(client, "operator1", PASSWORD)

    assert response.status_code == 200 and error_text(response) == refused_message()
    assert mailoutbox == []


def test_given_a_user_without_customer_when_logging_in_then_refused_alike(client, db, mailoutbox):
    User.objects.create_user(username="orphan01", password=PASSWORD, email="orphan@example.com")

    response = password_step(client, "orphan01", PASSWORD)

    assert error_text(response) == refused_message()
    assert mailoutbox == []


def test_given_a_staff_session_when_opening_customer_pages_then_sent_to_login(client, db, plan):
    staff_customer = CustomerFactory(plan=plan)
    User.objects.filter(pk=staff_customer.user.pk).update(is_staff=True)
    client.force_login(User.objects.get(pk=staff_customer.user.pk))

    assert client.get("/menu/").url == "/login/"
    assert client.get("/numbers/add/").url == "/login/"


def test_given_a_session_when_each_login_step_passes_then_the_session_key_changes(client, login_customer, mailoutbox):
    session = client.session
    session["before_login"] = "yes"
    session.save()
    anonymous_key = client.cookies["sessionid"].value

    password_step(client, login_customer.selfcare_id, PASSWORD)
    preauth_key = client.cookies["sessionid"].value
    client.post("/login/verify/", {"code": login_code(mailoutbox[-1])})
    logged_in_key = client.cookies["sessionid"].value

    assert len({anonymous_key, preauth_key, logged_in_key}) == 3
    assert not Session.objects.filter(session_key__in=[anonymous_key, preauth_key]).exists()
    assert client.get("/menu/").status_code == 200


def test_given_a_wrong_password_when_refused_then_the_code_step_is_not_opened(client, login_customer):
    password_step(client, login_customer.selfcare_id, WRONG)

    assert client.get("/login/verify/").url == "/login/"


@pytest.mark.parametrize("field", ["selfcare_id", "password"])
def test_given_a_missing_field_when_logging_in_then_the_form_says_so_and_nothing_is_counted(
    client, login_customer, field
):
    data = {"selfcare_id": login_customer.selfcare_id, "password": PASSWORD}
    data[field] = ""

    response = client.post("/login/", data)

    assert response.status_code == 200 and "errorlist" in html(response)
    login_customer.user.refresh_from_db()
    assert login_customer.user.consecutive_failures == 0


def test_given_a_logged_in_customer_when_opening_login_then_sent_to_the_menu(logged_in):
    assert logged_in.get("/login/").url == "/menu/"


def test_given_failed_and_successful_logins_when_done_then_the_audit_trail_has_who_what_and_where(
    client, login_customer, mailoutbox
):
    password_step(client, login_customer.selfcare_id, WRONG, REMOTE_ADDR="192.0.2.10")
    log_in(client, login_customer, mailoutbox)

    actions = list(AuditEntry.objects.filter(customer_id=login_customer.pk).values_list("action", flat=True))
    assert "login.failed" in actions
    assert "login.code_sent" in actions and "login.succeeded" in actions
    failed = AuditEntry.objects.get(action="login.failed", customer_id=login_customer.pk)
    assert failed.ip_address == "192.0.2.10"


def test_given_the_production_hasher_when_an_unknown_id_or_wrong_password_is_tried_then_refused_alike(
    argon2, client, login_customer, mailoutbox
):
    assert login_customer.user.password.startswith("argon2")

    unknown_id = password_step(client, "nobody-here", PASSWORD)
    wrong_password = password_step(client, login_customer.selfcare_id, WRONG)
    log_in(client, login_customer, mailoutbox)

    assert error_text(unknown_id) == error_text(wrong_password) == refused_message()
