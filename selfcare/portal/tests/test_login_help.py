"""A refused login says what to do, the same for every cause; the owner hears once when an account locks."""

from __future__ import annotations

import datetime as dt
import smtplib

from django.test import Client
from django.utils import timezone

from selfcare.accounts import login as login_steps
from selfcare.portal.tests.conftest import PASSWORD, error_text, html, password_step
from selfcare.testing import jobs_run, login_code

WRONG = "not the right password at all"
PAUSE = "ログインの失敗が続くと、しばらくの間ログインできなくなります"


def guidance(response) -> str:
    text = html(response)
    return text[text.index('<div class="login-help">') : text.index("</div>", text.index('<div class="login-help">'))]


def test_given_any_refusal_when_the_login_page_answers_then_it_says_what_to_do_and_the_same_for_all(
    client, login_customer, settings
):
    settings.SELFCARE_SUPPORT_PHONE = "0120-987-123"
    unknown = password_step(client, "nobody-here", PASSWORD)
    wrong = password_step(client, login_customer.selfcare_id, WRONG)
    for _ in range(login_steps.LOCK_AFTER_FAILURES):
        password_step(Client(), login_customer.selfcare_id, WRONG)
    jobs_run()
    locked = password_step(client, login_customer.selfcare_id, PASSWORD)

    assert error_text(unknown) == error_text(wrong) == error_text(locked)
    assert guidance(unknown) == guidance(wrong) == guidance(locked)
    assert PAUSE in guidance(unknown)
    assert '<a href="tel:0120-987-123">0120-987-123</a>' in guidance(unknown)
    assert "少し時間をおいて" not in guidance(unknown)  # a lock may last up to a day: no "a little later"
    assert "最長1日" in guidance(unknown)
    assert "お客様センターでお客様のアカウントを確認し、停止を解除できます" in guidance(unknown)


def test_given_ten_failures_when_the_account_locks_then_its_owner_is_e_mailed_once_without_secrets(
    client, login_customer, mailoutbox, frozen
):
    for _ in range(login_steps.LOCK_AFTER_FAILURES - 1):
        password_step(client, login_customer.selfcare_id, WRONG)
    assert mailoutbox == []
    password_step(client, login_customer.selfcare_id, WRONG)  # the 10th: locked for a minute
    password_step(client, login_customer.selfcare_id, WRONG)  # while locked: the lock grows, no new mail
    password_step(client, login_customer.selfcare_id, PASSWORD)
    jobs_run()

    (notice,) = mailoutbox
    assert notice.to == [login_customer.user.email]
    assert notice.subject == "セルフケアのログインを一時停止しました"
    assert "ログインを一時停止しました" in notice.body and "以降に再度ログインできます" in notice.body
    assert WRONG not in notice.body and PASSWORD not in notice.body and login_customer.user.password not in notice.body

    frozen.shift(dt.timedelta(minutes=3))  # the lock has passed; the next failure starts a new one
    password_step(client, login_customer.selfcare_id, WRONG)
    jobs_run()
    assert len(mailoutbox) == 2


def test_given_a_failing_mail_server_when_the_account_locks_then_the_answer_is_unchanged(
    client, login_customer, mailoutbox, monkeypatch
):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(login_steps, "send_mail", refuse)
    answers = [password_step(client, login_customer.selfcare_id, WRONG) for _ in range(login_steps.LOCK_AFTER_FAILURES)]
    jobs_run()

    assert {answer.status_code for answer in answers} == {200}
    assert len({error_text(answer) for answer in answers}) == 1
    login_customer.user.refresh_from_db()
    assert login_customer.user.locked_until is not None


def test_given_a_refused_login_when_the_page_answers_then_it_names_both_causes_as_possibilities_not_a_lock_as_fact(
    client, login_customer
):
    wrong_once = password_step(client, login_customer.selfcare_id, WRONG)

    assert error_text(wrong_once) == (
        "ログインできませんでした。セルフケアIDかセルフケアパスワードが違っているか、"
        "ログインの失敗が続いたためにログインを一時停止しているかのどちらかです。"
    )
    assert "ロックされています" not in html(wrong_once)
    assert "「サービス開始のご案内」に記載のセルフケアID・セルフケアパスワードをご確認" in guidance(wrong_once)


def test_given_a_wrong_code_that_pauses_the_account_when_the_code_page_answers_then_it_promises_no_more_entries(
    client, login_customer, mailoutbox
):
    from selfcare.accounts.models import User

    User.objects.filter(pk=login_customer.user.pk).update(consecutive_failures=login_steps.LOCK_AFTER_FAILURES - 1)
    password_step(client, login_customer.selfcare_id)  # the right password: the code is sent
    code = login_code(mailoutbox[-1])

    page = client.post("/login/verify/", {"code": f"{(int(code) + 1) % 10**6:06d}"})

    text = html(page)
    assert "認証コードが正しくありません。" in text
    assert "あと" not in text and "回入力できます" not in text
    assert "一時停止しています" in text and 'name="code"' not in text


def test_given_the_lock_grows_after_its_notice_then_the_notice_promised_no_time_it_breaks(
    client, login_customer, mailoutbox, frozen, settings
):
    settings.SELFCARE_SUPPORT_PHONE = "0120-987-123"
    for _ in range(login_steps.LOCK_AFTER_FAILURES):
        password_step(client, login_customer.selfcare_id, WRONG)
    jobs_run()
    for _ in range(9):  # guessing goes on: the lock grows to about 8.5 hours, no new notice
        password_step(client, login_customer.selfcare_id, WRONG)
    jobs_run()
    login_customer.user.refresh_from_db()

    (notice,) = mailoutbox
    assert login_customer.user.locked_until - timezone.now() > dt.timedelta(hours=8)
    assert "早くとも" in notice.body and "最長1日" in notice.body and "改めてお送りしません" in notice.body
    assert "お客様センター(0120-987-123)で停止を解除できます" in notice.body
