"""The self-service pages say things where the customer is, ask before what cannot be undone, and speak Japanese."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import ApiKey, WebhookEndpoint
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.portal.tests.conftest import error_text, html, notice_text
from selfcare.testing import TEST_ACTOR, login_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(login_customer, pool):
    numbers_add(customer_id=login_customer.pk, count=1, idempotency_key="p", actor=TEST_ACTOR)
    return IssuedLine.objects.get()


@pytest.fixture
def key(login_customer):
    return api_key_create(
        customer_id=login_customer.pk, name="請求連携", scopes=["numbers:read", "numbers:add"], actor=TEST_ACTOR
    ).api_key


@pytest.fixture
def endpoint(login_customer):
    from selfcare.core import clock, crypto
    from selfcare.integrations.webhooks import new_secret

    return WebhookEndpoint.objects.create(
        customer=login_customer,
        url="https://hooks.example.com/050",
        events=["application.completed", "number.cancelled"],
        secret_encrypted=crypto.encrypt(new_secret()),
        created_at=clock.now(),
    )


# 1. A refusal is said where the customer pressed 送信, with the seconds really left --------------------


ANOTHER = (
    "1分以内に別のお申込みの認証コードをお送りしたため(そのコードは、そのお申込みの確認画面で引き続き入力できます)、"
    "このお申込みの認証コードはまだ送信していません。{seconds}秒後にもう一度「送信」を押すと、"
    "このお申込みの認証コードをお送りします。"
)


def test_a_reissue_sent_again_within_a_minute_goes_back_to_its_confirmation_with_the_code_already_sent(
    logged_in, line, frozen, mailoutbox
):
    url = f"/numbers/{line.number_id}/sip-password/"
    first = logged_in.post(url)  # the first code is sent
    assert first.status_code == 302
    sent = len(mailoutbox)
    frozen.shift(dt.timedelta(seconds=23))

    again = logged_in.post(url)

    assert again.status_code == 302 and again.url == first.url and len(mailoutbox) == sent
    page = logged_in.get(again.url)
    sent_at = timezone.localtime(timezone.now() - dt.timedelta(seconds=23)).strftime("%H:%M")
    assert notice_text(page) == (
        f"このお申込みの認証コードは{sent_at}にメールでお送りしており、引き続き有効です。下の欄に入力してください。"
    )
    assert error_text(page) is None and "秒後" not in html(page)
    assert notice_text(logged_in.get(again.url)) is None  # said once
    assert "秒後" not in html(logged_in.get("/api-keys/"))


def test_a_key_sent_again_within_a_minute_shows_its_confirmation_not_a_wait(logged_in, frozen):
    first = logged_in.post("/api-keys/", {"name": "請求連携", "scopes": ["numbers:read"]})
    frozen.shift(dt.timedelta(seconds=26))

    again = logged_in.post("/api-keys/", {"name": "請求連携", "scopes": ["numbers:read"]})

    assert first.status_code == again.status_code == 302 and again.url == first.url
    assert "引き続き有効です" in notice_text(logged_in.get(again.url))
    changed = logged_in.post("/api-keys/", {"name": "在庫連携", "scopes": ["numbers:read"]})
    assert changed.status_code == 200 and error_text(changed) == ANOTHER.format(seconds=34)


def test_a_key_asked_within_a_minute_of_another_requests_code_is_said_above_its_form_with_what_was_typed(
    logged_in, line, frozen
):
    logged_in.post(f"/numbers/{line.number_id}/sip-password/")
    frozen.shift(dt.timedelta(seconds=26))

    again = logged_in.post("/api-keys/", {"name": "在庫連携", "scopes": ["numbers:read"]})

    assert again.status_code == 200 and error_text(again) == ANOTHER.format(seconds=34)
    assert "新しいコードは" not in html(again)
    assert 'value="在庫連携"' in html(again) and not ApiKey.objects.exists()


def test_a_rotation_asked_too_soon_is_said_on_the_endpoints_page(logged_in, line, endpoint):
    logged_in.post(f"/numbers/{line.number_id}/sip-password/")

    again = logged_in.post(f"/webhooks/{endpoint.pk}/rotate/")

    assert again.status_code == 200 and "秒後にもう一度「送信」を押すと" in error_text(again)
    assert "秒後に" not in html(logged_in.get("/webhooks/"))


def test_a_new_code_is_said_on_its_confirmation_page_and_nowhere_else(logged_in, line, mailoutbox, frozen):
    confirm = logged_in.post(f"/numbers/{line.number_id}/sip-password/").url

    too_soon = logged_in.post(f"{confirm}resend/")
    assert too_soon.url == confirm
    assert "秒後に送信できます" in error_text(logged_in.get(confirm))
    frozen.shift(dt.timedelta(seconds=61))
    logged_in.post(f"{confirm}resend/")
    assert notice_text(logged_in.get(confirm)) == "新しい認証コードを送信しました。以前のコードは使えません。"

    for page in ("/api-keys/", "/webhooks/", "/menu/", confirm):
        assert notice_text(logged_in.get(page)) is None, page


def test_a_confirmation_no_longer_there_is_said_on_its_own_page(logged_in):
    gone = logged_in.get("/confirm/not-a-token/")

    assert gone.status_code == 410 and "最初からやり直してください" in error_text(gone)
    assert notice_text(logged_in.get("/api-keys/")) is None


def test_a_notice_left_for_one_page_never_shows_on_another(logged_in, key):
    logged_in.post(f"/api-keys/{key.pk}/revoke/", {"confirmed": "yes"})

    assert notice_text(logged_in.get("/webhooks/")) is None
    assert notice_text(logged_in.get("/api-keys/")) is None  # dropped, not kept for later


# 3. Revoking a key and removing an endpoint are asked first ------------------------------------------------


def test_revoke_asks_first_and_only_its_confirmation_revokes(logged_in, key):
    listed = html(logged_in.get("/api-keys/"))
    assert f'href="/api-keys/{key.pk}/revoke/"' in listed

    question = logged_in.get(f"/api-keys/{key.pk}/revoke/")
    assert question.status_code == 200
    assert "プログラム" in html(question) and 'href="/api-keys/"' in html(question)  # what stops; a cancel
    logged_in.post(f"/api-keys/{key.pk}/revoke/")  # not the confirmation's POST
    key.refresh_from_db()
    assert key.revoked_at is None

    done = logged_in.post(f"/api-keys/{key.pk}/revoke/", {"confirmed": "yes"})

    key.refresh_from_db()
    assert done.url == "/api-keys/" and key.revoked_at is not None
    assert key.prefix in notice_text(logged_in.get("/api-keys/"))


def test_removing_an_endpoint_asks_first_and_only_its_confirmation_removes(logged_in, endpoint):
    page = html(logged_in.get(f"/webhooks/{endpoint.pk}/"))
    assert f'href="/webhooks/{endpoint.pk}/remove/"' in page

    question = logged_in.get(f"/webhooks/{endpoint.pk}/remove/")
    assert question.status_code == 200 and "送信待ち" in html(question)
    assert f'href="/webhooks/{endpoint.pk}/"' in html(question)
    logged_in.post(f"/webhooks/{endpoint.pk}/remove/")
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None

    logged_in.post(f"/webhooks/{endpoint.pk}/remove/", {"confirmed": "yes"})

    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert endpoint.url in notice_text(logged_in.get("/webhooks/"))


# 4. One word for the e-mailed code ------------------------------------------------------------------------


def test_the_confirmation_code_is_the_logins_認証コード_in_the_page_and_the_e_mail(logged_in, line, mailoutbox):
    confirm = logged_in.post(f"/numbers/{line.number_id}/sip-password/").url

    page = html(logged_in.get(confirm))

    mail = mailoutbox[-1]
    assert "確認コード" not in page and "認証コード" in page
    assert mail.subject.startswith("【セルフケア】認証コードのお知らせ")
    assert "カスタマー・セルフケア・サービスの認証コード" in mail.body and "確認コード" not in mail.body
    assert login_code(mail)


# 5. Japanese on Japanese screens ----------------------------------------------------------------------------


def test_scopes_and_events_read_as_the_forms_say_them(logged_in, key, endpoint):
    keys = html(logged_in.get("/api-keys/"))
    hooks = html(logged_in.get("/webhooks/"))
    detail = html(logged_in.get(f"/webhooks/{endpoint.pk}/"))

    assert "番号・申込・上限の参照" in keys and "番号の追加 (申込)" in keys
    assert "numbers:read, numbers:add" not in keys
    for page in (hooks, detail):
        assert "申込の完了 (番号の追加)" in page and "番号の解約の効力発生" in page
        assert "application.completed, number.cancelled" not in page


def test_a_revoked_key_says_無効_and_when(logged_in, key):
    logged_in.post(f"/api-keys/{key.pk}/revoke/", {"confirmed": "yes"})

    page = html(logged_in.get("/api-keys/"))

    assert re.search(r"無効 \(\d\d-\d\d \d\d:\d\d\)", page), page
    assert "無効化</td>" not in page


def test_the_problems_page_has_no_raw_placeholders(client):
    page = html(client.get("/api/v1/problems", HTTP_ACCEPT_LANGUAGE="ja"))

    assert not re.search(r"\{\w+\}", page)
    assert "〈最小値〉から〈最大値〉まで" in re.sub(r"<[^>]+>", "", page)


# 7. Every bad allowed address, at its field -----------------------------------------------------------------


def test_every_bad_address_is_named_at_the_field_even_with_other_fields_wrong(logged_in, mailoutbox):
    sent = len(mailoutbox)

    response = logged_in.post(
        "/api-keys/", {"name": "", "scopes": ["numbers:read"], "allowed_networks": "10.0.0.0/33\n192.0.2.1\nfoo"}
    )

    page = html(response)
    field = page.split('name="allowed_networks"')[0].rsplit('<div class="field-group">', 1)[1]
    assert "「10.0.0.0/33」" in field and "「foo」" in field and "192.0.2.1" not in field
    assert error_text(response) is None  # nothing at the top of the form
    assert len(mailoutbox) == sent


# 8. What a webhook endpoint may be, and how to check its signature --------------------------------------------


def test_the_webhooks_page_says_what_can_be_registered_and_how_to_check_a_signature(logged_in, settings):
    settings.SELFCARE_WEBHOOK_ENDPOINTS_PER_CUSTOMER = 4

    page = html(logged_in.get("/webhooks/"))

    assert "https://" in page and "プライベート" in page
    assert "4件まで" in page
    assert "説明 (任意)" in page
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature", "Standard Webhooks"):
        assert header in page


# 9. The customer centre's number ----------------------------------------------------------------------------------


def test_the_customer_centres_number_is_one_link_to_dial(logged_in, settings):
    page = html(logged_in.get("/menu/"))

    phone = settings.SELFCARE_SUPPORT_PHONE
    assert f'<a class="phone" href="tel:{phone}">{phone}</a>' in page


def test_the_top_menu_leads_to_api_keys_and_webhooks(logged_in):
    nav = html(logged_in.get("/numbers/")).split('<nav class="main"')[1].split("</nav>")[0]

    assert 'href="/api-keys/"' in nav and 'href="/webhooks/"' in nav


def test_each_delivery_attempts_outcome_is_said_in_words_with_what_to_check(logged_in, endpoint, settings):
    from selfcare.core import clock
    from selfcare.integrations.models import WebhookAttempt, WebhookDelivery

    settings.SELFCARE_WEBHOOK_TIMEOUT_SECONDS = 10
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id="msg_outcomes",
        event_type="application.completed",
        event_key="e-outcomes",
        payload={},
        state=WebhookDelivery.State.DELIVERED,
        attempts=7,
        created_at=clock.now(),
    )
    tried = [
        (None, "tls_failed"),
        (None, "connection_failed"),
        (None, "timeout"),
        (None, "refused_address"),
        (401, "http_status"),
        (503, "http_status"),
        (200, "delivered"),
    ]
    for number, (status, outcome) in enumerate(tried, start=1):
        WebhookAttempt.objects.create(
            delivery=delivery, number=number, at=clock.now(), status_code=status, outcome=outcome, duration_ms=97
        )

    page = html(logged_in.get(f"/webhooks/{endpoint.pk}/"))

    for raw in ("tls_failed", "connection_failed", "timeout", "refused_address", "http_status", "delivered"):
        assert raw not in page, raw
    assert '暗号化通信(TLS)の接続に失敗しました <span class="nowrap">(97 ms)</span>' in page
    assert "サーバー証明書が有効期限内か" in page
    assert "接続できませんでした" in page and "ファイアウォール" in page
    assert "10秒以内に応答がありませんでした" in page and "受信側は10秒以内に2xxを返してください" in page
    assert "URLのホストが公開アドレスではありません" in page
    assert "受信側が拒否しました(HTTP 401)" in page and "署名の検証" in page
    assert "受信側でエラーが発生しました(HTTP 503)" in page and "受信されました(HTTP 200)" in page
