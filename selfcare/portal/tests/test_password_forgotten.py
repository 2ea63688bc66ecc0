"""パスワードをお忘れの方: a new initial password by post, the same answer for every request."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client

from selfcare.accounts import services
from selfcare.accounts.login import typed_id_label
from selfcare.accounts.models import Customer, User
from selfcare.audit.models import AuditEntry
from selfcare.core import crypto
from selfcare.letters import selectors as letter_selectors
from selfcare.letters.models import Letter
from selfcare.portal.tests.conftest import PASSWORD, error_text, html
from selfcare.testing import jobs_run

FORGOTTEN = "/login/forgotten/"
SENT = "/login/forgotten/sent/"


def ask(client, selfcare_id: str, email: str, **extra):
    return client.post(FORGOTTEN, {"selfcare_id": selfcare_id, "email": email}, **extra)


def answer(response) -> str:
    """The page without its CSRF token (the language switch's form carries one per client)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html(response))


def credentials_letters(customer) -> list[Letter]:
    return list(Letter.objects.filter(customer=customer, kind=Letter.Kind.SELFCARE_CREDENTIALS))


def test_the_login_page_links_to_the_forgotten_password_page_in_the_manuals_words(client, db):
    page = html(client.get("/login/"))

    assert '<a href="/login/forgotten/">パスワードをお忘れの方</a>' in page
    form = html(client.get(FORGOTTEN))
    assert "パスワードをお忘れの方" in form and "セルフケアID" in form and "登録メールアドレス" in form


def test_given_a_matching_id_and_email_then_a_new_initial_password_is_queued_on_a_letter_to_the_contract_address(
    client, login_customer, mailoutbox, frozen, settings
):
    settings.SELFCARE_SUPPORT_PHONE = "0120-987-123"
    user = login_customer.user
    User.objects.filter(pk=user.pk).update(consecutive_failures=12, locked_until=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))

    response = ask(client, login_customer.selfcare_id, login_customer.email.upper())
    jobs_run()

    assert response.status_code == 302 and response.url == SENT
    (letter,) = credentials_letters(login_customer)
    assert letter.printed_at is None and letter.posted_at is None
    assert letter.recipient_name == login_customer.contract_name and letter.address == login_customer.address
    assert letter.pk in letter_selectors.letters_unprinted_ids()  # staff find it in the letter queue
    new_password = crypto.decrypt(letter.secret_encrypted)
    assert new_password not in letter.secret_encrypted
    user.refresh_from_db()
    # The current password keeps working; the letter's waits beside it until its first use.
    assert user.check_password(PASSWORD) and not user.check_password(new_password)
    assert check_password(new_password, user.pending_password) and not user.password_change_required
    # The lock and the failure count are left as they were.
    assert user.consecutive_failures == 12 and user.locked_until == dt.datetime(2999, 1, 1, tzinfo=dt.UTC)

    (notice,) = mailoutbox
    assert notice.to == [login_customer.email]
    assert notice.subject == "新しいセルフケアパスワードを郵送します"
    assert "ご契約住所へ郵送します" in notice.body and "0120-987-123" in notice.body
    assert new_password not in notice.body and new_password not in notice.subject

    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "target", "detail"))
    assert actions[-2:] == [
        ("customer.password_forgotten", login_customer.selfcare_id, {"outcome": "letter_queued"}),
        (
            "customer.password_letter_queued",
            login_customer.selfcare_id,
            {"current_login": "kept", "replaces_pending": False},
        ),
    ]
    assert new_password not in str(list(AuditEntry.objects.values_list("detail", "target", "actor_label")))


@pytest.mark.parametrize("case", ["unknown id", "wrong email"])
def test_given_no_match_then_the_answer_is_the_same_and_nothing_is_queued_or_mailed(
    client, login_customer, other_customer, mailoutbox, case
):
    matching = ask(Client(), other_customer.selfcare_id, other_customer.email)
    jobs_run()
    mailoutbox.clear()
    typed_id = "nobody-here" if case == "unknown id" else login_customer.selfcare_id
    email = login_customer.email if case == "unknown id" else "someone-else@example.com"

    response = ask(client, typed_id, email)
    jobs_run()

    assert (response.status_code, response.url) == (matching.status_code, matching.url) == (302, SENT)
    assert answer(client.get(response.url)) == answer(Client().get(matching.url))
    assert credentials_letters(login_customer) == [] and mailoutbox == []
    login_customer.user.refresh_from_db()
    assert login_customer.user.check_password(PASSWORD) and not login_customer.user.password_change_required
    entry = AuditEntry.objects.filter(action="customer.password_forgotten").latest("pk")
    if case == "unknown id":
        assert entry.target == entry.actor_label == typed_id_label("nobody-here")
        assert "nobody-here" not in str(list(AuditEntry.objects.values_list("target", "actor_label", "detail")))
        assert entry.detail == {"outcome": "no_account"}
    else:
        assert entry.target == login_customer.selfcare_id and entry.detail == {"outcome": "email_mismatch"}


def test_every_answer_hashes_one_password_so_they_take_comparable_work(client, login_customer, other_customer):
    with mock.patch.object(services, "make_password", wraps=make_password) as hashing:
        ask(client, "nobody-here", "x@example.com")
        ask(client, login_customer.selfcare_id, "x@example.com")
        ask(client, other_customer.selfcare_id, other_customer.email)
        ask(client, other_customer.selfcare_id, other_customer.email)  # a repeat: nothing queued

    assert hashing.call_count == 4


def test_the_answer_page_says_only_what_is_true_either_way(client, db, settings):
    settings.SELFCARE_SUPPORT_PHONE = "0120-987-123"
    page = html(client.get(SENT))

    assert "入力されたセルフケアIDとメールアドレスがご登録内容と一致した場合" in page
    assert "ご契約住所へ郵送します" in page
    assert '<a href="tel:0120-987-123">0120-987-123</a>' in page


def test_given_a_letter_waiting_or_sent_within_a_day_then_a_repeat_queues_nothing(
    client, login_customer, frozen, mailoutbox
):
    ask(client, login_customer.selfcare_id, login_customer.email)
    jobs_run()
    (letter,) = credentials_letters(login_customer)
    password_hash = User.objects.get(pk=login_customer.user_id).password

    frozen.shift(dt.timedelta(days=3))  # unposted: still waiting, nothing more
    response = ask(Client(), login_customer.selfcare_id, login_customer.email)
    jobs_run()
    assert response.url == SENT and len(credentials_letters(login_customer)) == 1
    assert User.objects.get(pk=login_customer.user_id).password == password_hash and len(mailoutbox) == 1

    Letter.objects.filter(pk=letter.pk).update(posted_at=letter.queued_at + dt.timedelta(hours=2))
    Letter.objects.filter(pk=letter.pk).update(queued_at=letter.queued_at + dt.timedelta(days=3))
    frozen.shift(dt.timedelta(hours=12))  # posted, but queued less than a day ago
    ask(Client(), login_customer.selfcare_id, login_customer.email)
    assert len(credentials_letters(login_customer)) == 1

    frozen.shift(dt.timedelta(days=1))  # posted and more than a day ago: a new letter
    ask(Client(), login_customer.selfcare_id, login_customer.email)
    jobs_run()
    assert len(credentials_letters(login_customer)) == 2 and len(mailoutbox) == 2
    outcomes = list(
        AuditEntry.objects.filter(action="customer.password_forgotten").order_by("pk").values_list("detail", flat=True)
    )
    assert [o["outcome"] for o in outcomes] == ["letter_queued", "letter_waiting", "letter_recent", "letter_queued"]


def test_given_a_new_customers_letter_not_yet_posted_then_nothing_more_is_queued(plan, actor, client):
    created = services.customer_create(
        selfcare_id="newco0001", email="newco@example.com", contract_name="新規商事", plan_code=plan.code, actor=actor
    )

    ask(client, "newco0001", "newco@example.com")

    assert len(credentials_letters(created.customer)) == 1


def test_given_a_suspended_contract_then_nothing_is_queued(client, login_customer):
    Customer.objects.filter(pk=login_customer.pk).update(status=Customer.Status.SUSPENDED)

    response = ask(client, login_customer.selfcare_id, login_customer.email)

    assert response.url == SENT and credentials_letters(login_customer) == []


def test_given_many_requests_from_one_address_then_they_are_refused_before_any_work(client, login_customer, db):
    for index in range(services.FORGOTTEN_REQUESTS_PER_ADDRESS):
        assert ask(client, f"nobody{index:04d}", "x@example.com").status_code == 302

    refused = ask(client, login_customer.selfcare_id, login_customer.email)
    other_address = ask(client, login_customer.selfcare_id, login_customer.email, REMOTE_ADDR="192.0.2.99")

    assert refused.status_code == 429
    assert error_text(refused) == (
        "この接続からのお申込みが多すぎるため、何も送付していません。60分後にもう一度お試しいただくか、"
        "お客様センターへお電話ください。"
    )
    assert other_address.status_code == 302 and len(credentials_letters(login_customer)) == 1


def test_given_a_failing_mail_server_then_the_answer_and_the_letter_stand(client, login_customer):
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("down")):
        response = ask(client, login_customer.selfcare_id, login_customer.email)
        jobs_run()

    assert response.url == SENT and len(credentials_letters(login_customer)) == 1


def test_given_the_new_password_from_the_letter_then_the_customer_logs_in_and_must_change_it(
    client, login_customer, mailoutbox
):
    from selfcare.portal.tests.conftest import log_in

    ask(client, login_customer.selfcare_id, login_customer.email)
    jobs_run()
    (letter,) = credentials_letters(login_customer)

    log_in(client, login_customer, mailoutbox, password=crypto.decrypt(letter.secret_encrypted))

    assert client.get("/menu/").url == "/password/"


def test_given_the_account_row_stays_locked_when_asking_then_a_busy_page_not_a_server_error(client, db, monkeypatch):
    from selfcare.core.errors import Busy
    from selfcare.portal import views

    def busy(**kwargs):
        raise Busy()

    monkeypatch.setattr(views, "customer_password_forgotten", busy)

    response = client.post("/login/forgotten/", {"selfcare_id": "someone01", "email": "someone@example.com"})

    from django.utils import translation

    assert response.status_code == 503
    with translation.override("ja"):
        assert str(Busy()) in response.content.decode()


def test_given_the_letter_queued_today_was_withdrawn_then_a_new_request_queues_a_new_letter(
    client, login_customer, frozen, mailoutbox
):
    ask(client, login_customer.selfcare_id, login_customer.email)
    jobs_run()
    frozen.shift(dt.timedelta(hours=1))
    services.customer_password_change(  # the customer remembered it: the waiting letter is withdrawn
        customer_id=login_customer.pk, new_password="Remembered-2026", actor=services.Actor(kind="customer", label="c")
    )
    (withdrawn,) = credentials_letters(login_customer)
    assert withdrawn.withdrawn_at is not None
    frozen.shift(dt.timedelta(hours=2))

    response = ask(Client(), login_customer.selfcare_id, login_customer.email)
    jobs_run()

    assert response.url == SENT
    letters = credentials_letters(login_customer)
    assert len(letters) == 2 and [letter.withdrawn_at is None for letter in letters].count(True) == 1
    assert User.objects.get(pk=login_customer.user_id).pending_password
    outcomes = AuditEntry.objects.filter(action="customer.password_forgotten").order_by("pk")
    assert [entry.detail["outcome"] for entry in outcomes] == ["letter_queued", "letter_queued"]
    assert [message.subject for message in mailoutbox].count(mailoutbox[0].subject) == 2
