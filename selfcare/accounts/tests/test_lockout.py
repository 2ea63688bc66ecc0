"""The account lock and the per-address throttle hold at any count and under any burst.

At 51 consecutive failures the lock's arithmetic once overflowed: every later wrong password
was a 500 that recorded nothing, the right one was answered differently (a password oracle),
and wrong codes stopped counting. These tests walk the counts around that edge and far past it,
for both login steps, customers and staff alike.
"""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone, translation

from selfcare.accounts import login as login_steps
from selfcare.accounts.login_errors import CodeNoLongerValid, LoginRefused, TooManyAttempts
from selfcare.accounts.models import LoginCode, User
from selfcare.audit.models import AuditEntry
from selfcare.portal.tests.conftest import PASSWORD, error_text, password_step

WRONG = "not the right password at all"
STAFF_PASSWORD = "a staff password that is long enough"
COUNTS = [10, 11, 50, 51, 60, 10_000]


def refused() -> str:
    with translation.override("ja"):
        return str(LoginRefused())


def with_failures(user: User, count: int) -> None:
    """The account as it is after ``count - 1`` consecutive failures, its lock in force."""
    User.objects.filter(pk=user.pk).update(
        consecutive_failures=count - 1,
        locked_until=timezone.now() + login_steps.lock_duration(count - 1),
    )


@pytest.mark.parametrize("count", [0, 9, 10, 11, 50, 51, 52, 60, 1_000, 10_000, 10**9, 10**18])
def test_given_any_count_of_failures_when_the_lock_is_computed_then_it_is_bounded_and_grows(count):
    duration = login_steps.lock_duration(count)

    assert dt.timedelta(0) <= duration <= login_steps.LOCK_MAX
    assert login_steps.lock_duration(count + 1) >= duration


@pytest.mark.parametrize("count", COUNTS)
def test_given_n_failures_when_the_password_step_fails_again_then_it_is_counted_refused_and_audited(
    client, login_customer, count
):
    user = login_customer.user
    with_failures(user, count)

    wrong = password_step(client, user.username, WRONG, REMOTE_ADDR="192.0.2.1")
    right = password_step(Client(), user.username, PASSWORD, REMOTE_ADDR="192.0.2.2")

    assert wrong.status_code == right.status_code == 200
    assert error_text(wrong) == error_text(right) == refused()
    user.refresh_from_db()
    assert user.consecutive_failures == count
    assert user.locked_until > timezone.now() + login_steps.lock_duration(count) - dt.timedelta(seconds=5)
    reasons = list(AuditEntry.objects.filter(action="login.failed").values_list("detail__reason", flat=True))
    assert reasons == ["wrong_password", "locked"] or sorted(reasons) == ["locked", "wrong_password"]
    assert caches["default"].get(login_steps._ip_key("192.0.2.1")) == 1


@pytest.mark.parametrize("count", COUNTS)
def test_given_n_failures_when_a_wrong_code_is_typed_then_it_is_counted_and_the_code_wears_out(login_customer, count):
    user = login_customer.user
    login_steps.login_code_send(user_id=user.pk, ip="192.0.2.1")
    with_failures(user, count)
    User.objects.filter(pk=user.pk).update(locked_until=None)  # the code step checks the lock after the code

    with pytest.raises((login_steps.CodeWrong, CodeNoLongerValid)):
        login_steps.login_code_verify(user_id=user.pk, code="000000", ip="192.0.2.1")

    user.refresh_from_db()
    assert user.consecutive_failures == count
    assert user.locked_until is not None
    assert LoginCode.objects.get(user=user).failed_attempts == 1
    assert AuditEntry.objects.filter(action="login.failed", detail__reason="wrong_code").count() == 1
    # Locked now: even a right code would not do; and every further wrong one still counts.
    with pytest.raises(CodeNoLongerValid):
        login_steps.login_code_verify(user_id=user.pk, code="000001", ip="192.0.2.1")


@pytest.mark.parametrize("count", COUNTS)
def test_given_n_failures_of_a_staff_account_when_its_password_fails_again_then_counted_and_refused(db, count):
    staff = User.objects.create_user(
        username="operator7", password=STAFF_PASSWORD, email="op@example.com", is_staff=True
    )
    with_failures(staff, count)

    wrong = Client().post("/staff/login/", {"username": "operator7", "password": WRONG})
    right = Client().post("/staff/login/", {"username": "operator7", "password": STAFF_PASSWORD})

    assert wrong.status_code == right.status_code == 200  # the login form again, with its error
    assert "errornote" in wrong.content.decode() and "errornote" in right.content.decode()
    staff.refresh_from_db()
    assert staff.consecutive_failures >= count
    assert staff.locked_until > timezone.now()
    assert AuditEntry.objects.filter(action="staff.login_failed").count() == 2


def test_given_failures_beyond_any_lock_then_the_counter_stops_below_its_column_range(login_customer):
    user = login_customer.user
    User.objects.filter(pk=user.pk).update(consecutive_failures=login_steps._FAILURES_MAX)

    login_steps._account_failure(user.pk)

    user.refresh_from_db()
    assert user.consecutive_failures == login_steps._FAILURES_MAX


def test_given_recording_a_failure_breaks_when_the_password_is_wrong_or_right_then_the_answer_is_the_same(
    client, login_customer, monkeypatch
):
    def broken(user_id: int) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(login_steps, "_account_failure", broken)
    user = login_customer.user
    with_failures(user, 60)

    wrong = password_step(client, user.username, WRONG)
    right = password_step(Client(), user.username, PASSWORD)

    assert wrong.status_code == right.status_code == 200
    assert error_text(wrong) == error_text(right) == refused()


# The per-address throttle under a burst ------------------------------------------------------------


def burst(attempts: int) -> tuple[int, int]:
    """``attempts`` threads released at once, each counting one attempt; (let through, refused)."""
    barrier = threading.Barrier(attempts)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        try:
            login_steps.ip_attempt("203.0.113.50")
        except TooManyAttempts:
            result = False
        else:
            result = True
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes.count(True), outcomes.count(False)


def test_given_60_parallel_attempts_from_one_address_when_counted_in_the_local_cache_then_30_pass():
    assert burst(60) == (login_steps.IP_FAILURES_ALLOWED, 60 - login_steps.IP_FAILURES_ALLOWED)


def test_given_60_parallel_attempts_when_counted_in_redis_then_30_pass(settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    caches["default"].clear()
    try:
        assert burst(60) == (login_steps.IP_FAILURES_ALLOWED, 60 - login_steps.IP_FAILURES_ALLOWED)
    finally:
        caches["default"].clear()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_60_parallel_attempts_when_counted_in_the_database_cache_then_30_pass(settings):
    from django.db import connections

    settings.CACHES = {"default": {"BACKEND": "selfcare.core.cache.DatabaseCache", "LOCATION": "selfcare_cache"}}
    caches["default"].clear()

    def closing_burst() -> tuple[int, int]:
        try:
            return burst(60)
        finally:
            connections.close_all()

    assert closing_burst() == (login_steps.IP_FAILURES_ALLOWED, 60 - login_steps.IP_FAILURES_ALLOWED)


def test_given_a_successful_step_then_its_attempt_is_given_back(client, login_customer, mailoutbox):
    for _ in range(login_steps.IP_FAILURES_ALLOWED - 1):
        password_step(Client(), "nobody-here", WRONG, REMOTE_ADDR="198.51.100.20")
    for _ in range(3):
        ok = password_step(Client(), login_customer.selfcare_id, PASSWORD, REMOTE_ADDR="198.51.100.20")
        assert ok.status_code == 302, error_text(ok)
    assert caches["default"].get(login_steps._ip_key("198.51.100.20")) == login_steps.IP_FAILURES_ALLOWED - 1


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("203.0.113.7", "203.0.113.8", False),
        ("::ffff:203.0.113.7", "203.0.113.7", True),
    ],
)
def test_given_two_client_addresses_then_they_share_a_throttle_when_one_client_can_hold_both(one, other, same):
    assert (login_steps.client_network(one) == login_steps.client_network(other)) is same


def test_given_failures_spread_over_an_ipv6_64_when_counted_then_the_whole_64_is_throttled(db):
    for n in range(login_steps.IP_FAILURES_ALLOWED):
        password_step(Client(), f"guess{n:04d}", WRONG, REMOTE_ADDR=f"2001:db8:77:1::{n + 1:x}")

    throttled = password_step(Client(), "guess9999", WRONG, REMOTE_ADDR="2001:db8:77:1:abcd::1")
    elsewhere = password_step(Client(), "guess9999", WRONG, REMOTE_ADDR="2001:db8:77:2::1")

    with translation.override("ja"):
        assert error_text(throttled) == str(TooManyAttempts(minutes=login_steps.IP_WINDOW_SECONDS // 60))
    assert error_text(elsewhere) == refused()


def test_given_a_locked_staff_account_when_its_password_is_tried_then_a_hash_is_computed_as_for_any_other(
    db, monkeypatch
):
    """A locked account must not answer faster than a wrong password: that would tell it exists and is locked."""
    import selfcare.backoffice.forms as staff_forms

    hashed: list[str] = []
    real = staff_forms.make_password
    monkeypatch.setattr(staff_forms, "make_password", lambda raw: hashed.append("x") or real(raw))
    staff = User.objects.create_user(
        username="operator8", password=STAFF_PASSWORD, email="op@example.com", is_staff=True
    )
    with_failures(staff, 20)

    Client().post("/staff/login/", {"username": "operator8", "password": WRONG})

    assert hashed == ["x"]
