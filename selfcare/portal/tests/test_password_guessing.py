"""The current password on the password page is guessed as a login would be: counted, locked, audited.

From a session left open (or stolen) the password page was an unlimited oracle for the real
password: every wrong current password got the form again, uncounted. Now each one is a failed
login (the account's lock, the address's throttle, the audit log), and when the account locks
the session ends with it.
"""

from __future__ import annotations

from django.core.cache import cache

from selfcare.accounts import login as login_steps
from selfcare.accounts.models import User
from selfcare.audit.models import AuditEntry
from selfcare.portal.tests.conftest import PASSWORD, html

NEW = "a brand new password for the portal"


def change(client, current: str, new: str = NEW, **extra):
    return client.post("/password/", {"old_password": current, "new_password1": new, "new_password2": new}, **extra)


def test_given_a_wrong_current_password_when_changing_then_it_counts_as_a_failed_login(logged_in, login_customer):
    response = change(logged_in, "not my password at all")

    assert response.status_code == 200 and "errorlist" in html(response)
    user = User.objects.get(pk=login_customer.user.pk)
    assert user.consecutive_failures == 1
    assert user.check_password(PASSWORD)
    entry = AuditEntry.objects.filter(action="login.failed").latest("at")
    assert entry.detail == {"step": "current_password", "reason": "wrong_password"}
    assert entry.customer_id == login_customer.pk


def test_given_repeated_wrong_current_passwords_when_the_account_locks_then_the_session_ends(logged_in, login_customer):
    for _ in range(login_steps.LOCK_AFTER_FAILURES - 1):
        assert change(logged_in, "guess").status_code == 200

    locking = change(logged_in, "guess")

    assert locking.status_code == 302 and locking.url == "/login/"
    assert logged_in.get("/menu/").status_code == 302
    user = User.objects.get(pk=login_customer.user.pk)
    assert user.locked_until is not None
    assert user.check_password(PASSWORD)


def test_given_a_locked_account_when_the_right_current_password_is_given_then_nothing_changes(
    logged_in, login_customer
):
    for _ in range(login_steps.LOCK_AFTER_FAILURES):
        change(logged_in, "guess")

    assert User.objects.get(pk=login_customer.user.pk).check_password(PASSWORD)
    assert not User.objects.get(pk=login_customer.user.pk).check_password(NEW)


def test_given_a_throttled_address_when_the_current_password_is_given_then_refused_without_checking(
    logged_in, login_customer
):
    cache.set(login_steps._ip_key("127.0.0.1"), login_steps.IP_FAILURES_ALLOWED, 600)

    response = change(logged_in, PASSWORD)

    assert response.status_code == 200 and "errorlist" in html(response)
    assert User.objects.get(pk=login_customer.user.pk).check_password(PASSWORD)


def test_given_the_right_current_password_when_changing_then_nothing_is_counted(logged_in, login_customer):
    response = change(logged_in, PASSWORD)

    assert response.status_code == 200 and "errorlist" not in html(response)
    user = User.objects.get(pk=login_customer.user.pk)
    assert user.check_password(NEW) and user.consecutive_failures == 0
    assert AuditEntry.objects.filter(action="customer.password_changed", customer=login_customer).count() == 1
    assert cache.get(login_steps._ip_key("127.0.0.1")) in (None, 0)
