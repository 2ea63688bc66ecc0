"""The e-mailed code: 10 minutes, single use, void after 5 wrong entries, resend throttled, hashed, never logged."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from selfcare.accounts import login as login_steps
from selfcare.accounts.login_errors import (
    CodeNoLongerValid,
    CodeWrong,
    TooManyAttempts,
)
from selfcare.accounts.models import LoginCode
from selfcare.core.errors import DomainError
from selfcare.portal.tests.conftest import PASSWORD, error_text, html, notice_text, password_step
from selfcare.testing import login_code


def ja(error: DomainError) -> str:
    with translation.override("ja"):
        return str(error)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def verify(client, code: str):
    return client.post("/login/verify/", {"code": code})


def is_logged_in(client) -> bool:
    return client.get("/menu/").status_code == 200


def test_given_a_code_when_typed_within_ten_minutes_then_the_customer_is_in(client, login_customer, mailoutbox, frozen):
    password_step(client, login_customer.selfcare_id)
    frozen.shift(dt.timedelta(minutes=9, seconds=59))

    response = verify(client, login_code(mailoutbox[-1]))

    assert response.status_code == 302 and response.url == "/menu/"


def test_given_a_code_when_ten_minutes_have_passed_then_it_no_longer_works(client, login_customer, mailoutbox, frozen):
    password_step(client, login_customer.selfcare_id)
    frozen.shift(dt.timedelta(minutes=10))

    response = verify(client, login_code(mailoutbox[-1]))

    assert response.status_code == 200
    expired_at = timezone.localtime(timezone.now()).strftime("%H:%M")
    expected = f"前回の認証コードは{expired_at}に有効期限が切れました。\n  新しい認証コードは送信していません。"
    assert error_text(response) == expected
    assert not is_logged_in(client)


def test_given_a_code_sent_when_checked_after_ten_minutes_then_the_service_refuses_it(
    login_customer, mailoutbox, frozen
):
    user = login_customer.user
    login_steps.login_code_send(user_id=user.pk, ip="192.0.2.1")
    frozen.shift(dt.timedelta(minutes=10, seconds=1))

    with pytest.raises(CodeNoLongerValid):
        login_steps.login_code_verify(user_id=user.pk, code=login_code(mailoutbox[-1]), ip="192.0.2.1")


def test_given_a_code_used_once_when_used_again_in_a_new_login_then_refused(client, login_customer, mailoutbox):
    password_step(client, login_customer.selfcare_id)
    code = login_code(mailoutbox[-1])
    assert verify(client, code).url == "/menu/"
    client.post("/logout/")

    again = password_step(client, login_customer.selfcare_id)  # within a minute: no new code is sent
    response = verify(client, code)

    assert again.status_code == 302 and again.url == "/login/verify/"
    assert len(mailoutbox) == 1
    assert response.status_code == 200 and "使用済み" in error_text(response)
    assert "新しい認証コードは送信していません" in error_text(response)
    assert not is_logged_in(client)


def test_given_a_wrong_code_when_typed_then_the_remaining_attempts_count_down_and_the_fifth_voids_it(
    client, login_customer, mailoutbox
):
    password_step(client, login_customer.selfcare_id)
    code = login_code(mailoutbox[-1])

    errors = [error_text(verify(client, other_code(code))) for _ in range(login_steps.CODE_MAX_FAILURES)]
    right_one_after = verify(client, code)

    void = "前回の認証コードは5回誤って入力されたため、無効になりました。\n  新しい認証コードは送信していません。"
    assert errors == [ja(CodeWrong(remaining=n)) for n in (4, 3, 2, 1)] + [void]
    assert right_one_after.status_code == 200 and error_text(right_one_after) == void
    assert not is_logged_in(client)


def test_given_four_wrong_codes_when_the_right_one_follows_then_it_still_works(client, login_customer, mailoutbox):
    password_step(client, login_customer.selfcare_id)
    code = login_code(mailoutbox[-1])
    for _ in range(login_steps.CODE_MAX_FAILURES - 1):
        verify(client, other_code(code))

    assert verify(client, code).url == "/menu/"


@pytest.mark.parametrize("typed", ["abcdef", "１２３", "12345", "1234567", "12-34"])
def test_given_something_not_six_digits_when_typed_then_a_typing_slip_not_a_wrong_code(
    client, login_customer, mailoutbox, typed
):
    password_step(client, login_customer.selfcare_id)
    code = login_code(mailoutbox[-1])

    response = verify(client, typed)

    with translation.override("ja"):
        assert response.status_code == 200 and "メールでお知らせした6桁の認証コードを入力してください。" in html(
            response
        )
    assert error_text(verify(client, other_code(code))) == ja(CodeWrong(remaining=4))  # no attempt was used
    assert verify(client, code).url == "/menu/"


def test_given_a_full_width_code_when_typed_then_it_is_accepted(client, login_customer, mailoutbox):
    password_step(client, login_customer.selfcare_id)
    code = login_code(mailoutbox[-1])
    full_width = "".join(chr(ord(c) - ord("0") + ord("０")) for c in code)

    assert verify(client, full_width).url == "/menu/"


def test_given_a_code_just_sent_when_a_new_one_is_asked_for_within_60_seconds_then_refused(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)
    frozen.shift(dt.timedelta(seconds=59))

    response = client.post("/login/resend/")
    page = client.get(response.url)

    assert response.url == "/login/verify/"
    assert notice_text(page) == "新しい認証コードは送信しませんでした。"
    at = timezone.localtime(timezone.now() + dt.timedelta(seconds=1)).strftime("%H:%M:%S")
    assert f"新しい認証コードは{at}以降に送信できます(前回の送信の1分後)。" in html(page)
    assert len(mailoutbox) == 1
    assert verify(client, login_code(mailoutbox[-1])).url == "/menu/"  # the first code still works


def test_given_60_seconds_passed_when_a_new_code_is_asked_for_then_sent_and_the_old_one_is_void(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)
    first = login_code(mailoutbox[-1])
    frozen.shift(dt.timedelta(seconds=60))

    client.post("/login/resend/")
    second = login_code(mailoutbox[-1])

    assert len(mailoutbox) == 2
    if first != second:  # one chance in a million that the new code is the same
        assert error_text(verify(client, first)) == ja(CodeWrong(remaining=4))
    assert verify(client, second).url == "/menu/"


def test_given_five_codes_in_an_hour_when_a_sixth_is_asked_for_then_refused_until_the_hour_is_over(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)  # code 1
    for _ in range(login_steps.CODES_PER_HOUR - 1):  # codes 2..5
        frozen.shift(dt.timedelta(seconds=61))
        client.post("/login/resend/")
    frozen.shift(dt.timedelta(seconds=61))

    sixth = client.get(client.post("/login/resend/").url)

    assert len(mailoutbox) == login_steps.CODES_PER_HOUR
    assert LoginCode.objects.filter(user=login_customer.user).count() == login_steps.CODES_PER_HOUR
    assert notice_text(sixth) == "新しい認証コードは送信しませんでした。"
    assert "過去1時間に認証コードを5回送信しました。" in html(sixth)

    # A new password step within the hour sends nothing either, but says why.
    frozen.shift(dt.timedelta(minutes=10))
    relogin = password_step(client, login_customer.selfcare_id)
    assert relogin.url == "/login/verify/"
    page = html(client.get("/login/verify/"))
    assert "過去1時間に認証コードを5回送信しました。" in page and "お送りしました" not in page
    assert len(mailoutbox) == login_steps.CODES_PER_HOUR

    frozen.shift(dt.timedelta(minutes=60))
    password_step(client, login_customer.selfcare_id)
    assert len(mailoutbox) == login_steps.CODES_PER_HOUR + 1
    assert verify(client, login_code(mailoutbox[-1])).url == "/menu/"


def test_given_the_password_step_over_ten_minutes_ago_when_the_code_page_is_used_then_back_to_login(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)
    code = login_code(mailoutbox[-1])
    frozen.shift(dt.timedelta(minutes=10, seconds=1))

    shown = client.get("/login/verify/")
    typed = verify(client, code)
    resend = client.post("/login/resend/")

    assert shown.status_code == 302 and shown.url == "/login/"
    assert typed.status_code == 302 and typed.url == "/login/"
    assert resend.status_code == 302 and resend.url == "/login/"
    assert len(mailoutbox) == 1
    assert not is_logged_in(client)
    notice = notice_text(client.get("/login/"))
    assert notice and "ログイン" in notice  # the login page says why the customer is back there


def test_given_no_password_step_when_the_code_page_is_opened_then_back_to_login(client, db):
    assert client.get("/login/verify/").url == "/login/"
    assert client.post("/login/verify/", {"code": "123456"}).url == "/login/"
    assert client.post("/login/resend/").url == "/login/"


def test_given_a_code_sent_when_stored_then_only_a_hash_is_kept_and_the_code_is_in_no_column(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)
    code = login_code(mailoutbox[-1])

    stored = LoginCode.objects.get(user=login_customer.user)
    assert stored.code_hash != code and code not in stored.code_hash and len(stored.code_hash) >= 32
    for model in apps.get_models():
        for row in model._base_manager.values_list():
            assert code not in repr(row), (model.__name__, row)

    verify(client, other_code(code))
    verify(client, code)
    for model in apps.get_models():
        for row in model._base_manager.values_list():
            assert code not in repr(row), (model.__name__, row)


def test_given_a_whole_login_when_logging_at_debug_level_then_the_code_is_never_logged(
    client, login_customer, mailoutbox, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # Django's own loggers stop at INFO by default
    caplog.set_level(logging.DEBUG, logger="django.db.backends")  # held at INFO by the settings: let it through
    with CaptureQueriesContext(connection) as queries:  # SQL is logged at DEBUG too
        password_step(client, login_customer.selfcare_id)
        code = login_code(mailoutbox[-1])
        verify(client, other_code(code))
        response = verify(client, code)

    assert response.url == "/menu/"
    assert len(queries) > 0 and any(r.name == "django.db.backends" for r in caplog.records)
    assert code not in caplog.text
    assert all(code not in record.getMessage() for record in caplog.records)
    assert PASSWORD not in caplog.text


def test_given_the_verify_page_when_shown_then_the_address_is_masked(client, login_customer):
    password_step(client, login_customer.selfcare_id, PASSWORD)

    page = html(client.get("/login/verify/"))

    assert login_customer.user.email not in page
    assert "@example.com" in page


def test_given_a_throttled_address_when_the_right_code_is_typed_from_it_then_refused(
    client, login_customer, mailoutbox
):
    address = {"REMOTE_ADDR": "203.0.113.77"}
    password_step(client, login_customer.selfcare_id, PASSWORD, **address)
    for n in range(login_steps.IP_FAILURES_ALLOWED):
        password_step(Client(), f"guess{n:04d}", "wrong password here", **address)

    response = client.post("/login/verify/", {"code": login_code(mailoutbox[-1])}, **address)

    assert response.status_code == 200
    assert error_text(response) == ja(TooManyAttempts(minutes=login_steps.IP_WINDOW_SECONDS // 60))
    assert not is_logged_in(client)
