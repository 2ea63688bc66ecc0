"""The code page says only what is true: whether a code was sent, which code works, and when a new one can come."""

from __future__ import annotations

import datetime as dt
import smtplib

from django.utils import timezone

from selfcare.accounts import login as login_steps
from selfcare.accounts.models import User
from selfcare.portal.tests.conftest import error_text, html, notice_text, password_step
from selfcare.testing import login_code

SENT = "お送りしました"
NOTHING_SENT = "新しい認証コードは送信していません。"


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def hhmm(moment: dt.datetime, seconds: bool = False) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S" if seconds else "%H:%M")


def test_given_a_code_voided_by_wrong_entries_when_logging_in_again_at_once_then_no_sent_code_is_claimed(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)
    first_mail_at = timezone.now()
    code = login_code(mailoutbox[-1])
    for _ in range(login_steps.CODE_MAX_FAILURES):
        client.post("/login/verify/", {"code": other_code(code)})
    frozen.shift(dt.timedelta(seconds=20))

    again = password_step(client, login_customer.selfcare_id)
    page = client.get("/login/verify/")

    assert again.url == "/login/verify/" and len(mailoutbox) == 1  # the resend was refused as too soon
    text = html(page)
    assert SENT not in text
    assert error_text(page) == f"前回の認証コードは5回誤って入力されたため、無効になりました。\n  {NOTHING_SENT}"
    send_at = hhmm(first_mail_at + login_steps.CODE_RESEND_AFTER, seconds=True)
    assert f"新しい認証コードは{send_at}以降に送信できます" in text
    assert 'name="code"' not in text  # no field for a code that cannot work
    new_code = '<button type="submit" class="primary" data-wait-seconds="41" data-once>新しい認証コードを送信</button>'
    assert new_code in text

    frozen.shift(dt.timedelta(seconds=41))
    client.post("/login/resend/")
    page = client.get("/login/verify/")

    assert len(mailoutbox) == 2
    assert notice_text(page) == "新しい認証コードを送信しました。以前のコードは使えません。"
    until = hhmm(timezone.now() + login_steps.CODE_VALID)
    assert f"6桁の認証コードを{hhmm(timezone.now())}にお送りしました。{until}までに入力してください。" in html(page)
    assert client.post("/login/verify/", {"code": login_code(mailoutbox[-1])}).url == "/menu/"


def test_given_a_valid_code_when_logging_in_again_within_a_minute_then_the_page_says_no_new_code_was_sent(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)
    sent_at = timezone.now()
    frozen.shift(dt.timedelta(seconds=30))

    password_step(client, login_customer.selfcare_id)
    text = html(client.get("/login/verify/"))

    assert len(mailoutbox) == 1
    until = hhmm(sent_at + login_steps.CODE_VALID)
    assert "今回は新しい認証コードを送信していません。" in text
    assert f"宛てに{hhmm(sent_at)}にお送りした認証コードが{until}まで有効です。そのコードを入力してください。" in text
    assert SENT not in text
    assert 'name="code"' in text
    assert client.post("/login/verify/", {"code": login_code(mailoutbox[-1])}).url == "/menu/"


def test_given_a_finished_login_when_logging_in_again_within_a_minute_then_the_page_says_why_and_what_to_do(
    client, login_customer, mailoutbox, frozen
):
    """The code of the login just finished is used: no code field, the wait, and what to press when it ends."""
    password_step(client, login_customer.selfcare_id)
    sent_at = timezone.now()
    assert client.post("/login/verify/", {"code": login_code(mailoutbox[-1])}).url == "/menu/"
    client.post("/logout/")
    frozen.shift(dt.timedelta(seconds=25))

    again = password_step(client, login_customer.selfcare_id)
    page = client.get("/login/verify/")

    assert again.url == "/login/verify/" and len(mailoutbox) == 1
    text = html(page)
    assert 'name="code"' not in text and SENT not in text
    assert (
        notice_text(page)
        == "セルフケアIDとセルフケアパスワードは確認できました。ログインを完了するには、新しい認証コードが必要です。"
    )
    assert error_text(page) == (
        f"前回お送りした認証コードは、前回のログインで使用済みです。認証コードは1回しか使えません。\n  {NOTHING_SENT}"
    )
    send_at = hhmm(sent_at + login_steps.CODE_RESEND_AFTER, seconds=True)
    assert f"新しい認証コードは{send_at}以降に送信できます" in text
    assert "その時刻になったら、下の「新しい認証コードを送信」を押してください。" in text
    assert 'data-wait-seconds="36"' in text

    frozen.shift(dt.timedelta(seconds=36))
    client.post("/login/resend/")

    assert len(mailoutbox) == 2
    assert client.post("/login/verify/", {"code": login_code(mailoutbox[-1])}).url == "/menu/"


def test_given_the_mail_server_fails_when_the_code_is_sent_then_the_page_does_not_say_it_was_sent(
    client, login_customer, mailoutbox, monkeypatch, frozen
):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(login_steps, "send_mail", refuse)
    password_step(client, login_customer.selfcare_id)
    page = client.get("/login/verify/")

    assert SENT not in html(page)
    assert error_text(page) == f"認証コードをメールで送信できませんでした。\n  {NOTHING_SENT}"
    assert 'name="code"' not in html(page)

    monkeypatch.undo()
    frozen.shift(dt.timedelta(seconds=60))
    client.post("/login/resend/")
    page = client.get("/login/verify/")
    assert len(mailoutbox) == 1 and SENT in html(page) and error_text(page) is None


def test_given_a_locked_account_when_the_code_page_is_shown_then_it_says_until_when_and_offers_no_code(
    client, login_customer, mailoutbox, frozen
):
    password_step(client, login_customer.selfcare_id)
    until = timezone.now() + dt.timedelta(minutes=4)
    User.objects.filter(pk=login_customer.user.pk).update(locked_until=until)
    frozen.shift(dt.timedelta(seconds=61))

    resend = client.post("/login/resend/")
    page = client.get("/login/verify/")

    assert resend.url == "/login/verify/" and len(mailoutbox) == 1
    assert f"{hhmm(until)}まで一時停止しています" in error_text(page)
    assert 'href="tel:' in html(page)
    assert 'name="code"' not in html(page) and "新しい認証コードを送信" not in html(page)
