"""The self-service screens (API keys, webhooks, the IP phone password) in Chromium at 1366×768 and 390×844.

Run: .venv/bin/pytest selfcare/portal/tests/test_browser_self_service.py -q -p no:cacheprovider
Screenshots go to test-artifacts/screenshots/self-service-*.png.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from selfcare.core import clock, crypto
from selfcare.integrations.keys import api_key_create, api_key_revoke
from selfcare.integrations.models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from selfcare.integrations.webhooks import new_secret
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.portal.tests.browser_support import (
    PHONE,
    Site,
    Tabs,
    axe_violations,
    button,
    describe_violations,
    header_and_nav_height,
    horizontal_overflow,
    login,
    screenshot,
)
from selfcare.testing import TEST_ACTOR, login_code

pytestmark = pytest.mark.browser

DEVICES = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])

# Text that the page shows on more than one line: each match of ``selector`` whose text wraps.
WRAPPED = """(selector) => [...document.querySelectorAll(selector)]
    .filter((e) => e.checkVisibility() && e.textContent.trim())
    .filter((e) => {
        const range = document.createRange();
        range.selectNodeContents(e);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
    })
    .map((e) => e.textContent.trim())"""

# Elements whose content is cut off: wider than their box, which does not scroll.
CLIPPED = """(selector) => [...document.querySelectorAll(selector)]
    .filter((e) => e.checkVisibility() && e.scrollWidth > e.clientWidth + 1
        && getComputedStyle(e).overflowX !== "auto" && getComputedStyle(e).overflowX !== "scroll")
    .map((e) => e.textContent.trim().slice(0, 60))"""


def next_code_may_go(site: Site) -> None:
    """Forget the 60-second pause between e-mailed codes (the test does not wait a minute)."""
    cache.delete(f"fresh-code-recent:{site.customer.user_id}")


def enter_the_code(page: Page, site: Site) -> None:
    expect(page).to_have_url(re.compile(r"/confirm/[^/]+/$"))
    page.get_by_label("認証コード").fill(login_code(site.outbox[-1]))
    button(page, "確認").click()


def fits(page: Page, phone: bool) -> None:
    width = PHONE["width"] if phone else 1366
    assert horizontal_overflow(page, width) <= 0, f"{page.url} is wider than {width}px"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), page.url


def endpoint_with_deliveries(site: Site) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        customer=site.customer,
        url="https://hooks.example-customer-systems.co.jp/selfcare/050/events/receive",
        description="基幹システム",
        events=["application.completed", "number.cancelled", "sip_password.reissued"],
        secret_encrypted=crypto.encrypt(new_secret()),
        created_at=clock.now(),
    )
    for index, event in enumerate(["sip_password.reissued", "application.completed"]):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            message_id=f"msg_2QdA7sVhX1kq9ZpLmN3rT{index}",
            event_type=event,
            event_key=f"e{index}",
            payload={},
            state=WebhookDelivery.State.DELIVERED,
            attempts=2,
            created_at=clock.now(),
        )
        first = (None, "tls_failed") if index == 0 else (503, "http_status")
        WebhookAttempt.objects.create(
            delivery=delivery, number=1, at=clock.now(), status_code=first[0], outcome=first[1], duration_ms=97
        )
        WebhookAttempt.objects.create(
            delivery=delivery, number=2, at=clock.now(), status_code=200, outcome="delivered", duration_ms=41
        )
    return endpoint


# 2. The secret shown once fits a phone, is legible and can be copied ----------------------------------------


@DEVICES
def test_the_new_key_and_the_signing_secrets_fit_are_legible_and_copy(site: Site, tabs: Tabs, phone, settings):
    settings.SELFCARE_WEBHOOK_ALLOW_PRIVATE = True
    device = "phone" if phone else "desktop"
    page = tabs.page(phone=phone)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, site)

    page.goto(site.url("/api-keys/"))
    page.get_by_label("キーの名前").fill("請求システム連携")
    button(page, "送信").click()
    enter_the_code(page, site)
    expect(page.get_by_role("heading", name="APIキー発行")).to_be_visible()
    screens = [("key-made", ApiKey.objects.get().prefix)]
    check_secret(page, phone, f"self-service-key-made-{device}")

    next_code_may_go(site)
    page.goto(site.url("/webhooks/"))
    page.get_by_label("送信先URL").fill("http://127.0.0.1:9/hook")
    button(page, "送信").click()
    enter_the_code(page, site)
    check_secret(page, phone, f"self-service-webhook-made-{device}")

    next_code_may_go(site)
    page.goto(site.url(f"/webhooks/{WebhookEndpoint.objects.get().pk}/"))
    button(page, "署名シークレットを再発行").click()
    enter_the_code(page, site)
    check_secret(page, phone, f"self-service-webhook-rotated-{device}")
    assert screens and tabs.errors == []  # no CSP refusal, no script error


def check_secret(page: Page, phone: bool, name: str) -> None:
    secret = page.locator("code.secret")
    expect(secret).to_be_visible()
    screenshot(page, name)
    fits(page, phone)
    style = secret.evaluate("(e) => { const s = getComputedStyle(e); return [parseFloat(s.fontSize), s.color]; }")
    assert style[0] >= 18, style  # larger than the text around it
    assert style[1] in {"rgb(29, 36, 48)", "rgb(0, 0, 0)"}, style  # the text colour, not grey
    copy = button(page, "コピー")
    expect(copy).to_be_visible()
    copy.click()
    expect(page.get_by_text("コピーしました。")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret.inner_text().strip()


def test_without_javascript_the_secret_is_still_shown_whole_and_no_dead_button(site: Site, browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="ja-JP")
    try:
        page = context.new_page()
        login(page, site)
        page.goto(site.url("/api-keys/"))
        page.get_by_label("キーの名前").fill("x")
        page.get_by_role("button", name="送信", exact=True).click()
        enter_the_code(page, site)
        expect(page.locator("code.secret")).to_have_text(re.compile(r"^sk_[a-z0-9]{8}_[A-Za-z0-9]{40}$"))
        expect(page.get_by_role("button", name="コピー")).to_be_hidden()
        fits(page, phone=True)
    finally:
        context.close()


# 1. 送信 again within a minute: back to the confirmation, its code still valid; another request waits --------


def test_a_reissue_sent_again_within_a_minute_goes_back_to_its_confirmation(site: Site, tabs: Tabs):
    numbers_add(customer_id=site.customer.pk, count=1, idempotency_key="b", actor=TEST_ACTOR)
    number = IssuedLine.objects.get().number_id
    page = tabs.page(phone=True)
    login(page, site)
    url = site.url(f"/numbers/{number}/sip-password/")
    page.goto(url)
    button(page, "送信").click()
    expect(page).to_have_url(re.compile(r"/confirm/"))
    confirm = page.url

    page.goto(url)
    button(page, "送信").click()

    expect(page).to_have_url(confirm)
    expect(page.get_by_role("status")).to_contain_text("引き続き有効です。下の欄に入力してください。")
    expect(page.get_by_text("秒後")).to_have_count(0)
    screenshot(page, "self-service-reissue-again-phone")

    page.goto(site.url("/api-keys/"))
    expect(page.get_by_text("秒後")).to_have_count(0)
    desk = tabs.page()
    desk.context.add_cookies(page.context.cookies())
    desk.goto(site.url("/api-keys/"))
    desk.get_by_label("キーの名前").fill("在庫連携")
    desk.get_by_label("番号・申込・上限の参照").check()
    button(desk, "送信").click()
    alert = desk.get_by_role("alert")
    expect(alert).to_contain_text("1分以内に別のお申込みの認証コードをお送りしたため")
    seconds = int(re.search(r"(\d+)秒後", alert.inner_text()).group(1))
    assert 1 <= seconds <= 60
    screenshot(desk, "self-service-key-after-another-code-desktop")


# 3. Revoke and remove ask first --------------------------------------------------------------------------------


@DEVICES
def test_revoking_a_key_asks_first_and_cancel_changes_nothing(site: Site, tabs: Tabs, phone):
    key = api_key_create(customer_id=site.customer.pk, name="在庫連携", scopes=["numbers:read"], actor=TEST_ACTOR)
    device = "phone" if phone else "desktop"
    page = tabs.page(phone=phone)
    login(page, site)
    page.goto(site.url("/api-keys/"))

    page.get_by_role("link", name="無効にする").click()
    expect(page.get_by_role("heading", name="このAPIキーを無効にしますか？")).to_be_visible()
    screenshot(page, f"self-service-key-revoke-{device}")
    fits(page, phone)
    page.get_by_role("link", name="キャンセル").click()
    expect(page).to_have_url(site.url("/api-keys/"))
    assert ApiKey.objects.get().revoked_at is None

    page.get_by_role("link", name="無効にする").click()
    button(page, "無効にする").click()

    expect(page.get_by_role("status")).to_contain_text(key.api_key.prefix)
    assert ApiKey.objects.get().revoked_at is not None


@DEVICES
def test_removing_an_endpoint_asks_first_and_cancel_changes_nothing(site: Site, tabs: Tabs, phone):
    endpoint = endpoint_with_deliveries(site)
    device = "phone" if phone else "desktop"
    page = tabs.page(phone=phone)
    login(page, site)
    page.goto(site.url(f"/webhooks/{endpoint.pk}/"))

    page.get_by_role("link", name="この送信先を削除").click()
    expect(page.get_by_role("heading", name="この送信先を削除しますか？")).to_be_visible()
    screenshot(page, f"self-service-webhook-remove-{device}")
    fits(page, phone)
    page.get_by_role("link", name="キャンセル").click()
    expect(page).to_have_url(site.url(f"/webhooks/{endpoint.pk}/"))
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None

    page.get_by_role("link", name="この送信先を削除").click()
    button(page, "この送信先を削除").click()

    expect(page).to_have_url(site.url("/webhooks/"))
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None


# 6 and 9. Tables, the menu and the footer at both sizes ------------------------------------------------------------


@DEVICES
def test_the_lists_keep_dates_states_and_numbers_whole_and_fit(site: Site, tabs: Tabs, phone):
    device = "phone" if phone else "desktop"
    for name in ("請求システム連携 (本番)", "在庫確認バッチ"):
        made = api_key_create(
            customer_id=site.customer.pk,
            name=name,
            scopes=["numbers:read", "numbers:add", "numbers:reissue"],
            expires_days=365,
            allowed_networks=["203.0.113.0/24"],
            actor=TEST_ACTOR,
        )
    api_key_revoke(key_id=made.api_key.pk, actor=TEST_ACTOR)
    endpoint = endpoint_with_deliveries(site)
    page = tabs.page(phone=phone, bypass_csp=True)  # axe-core is injected as an inline script
    login(page, site)
    problems: list[str] = []

    for screen, path in [
        ("menu", "/menu/"),
        ("api-keys", "/api-keys/"),
        ("webhooks", "/webhooks/"),
        ("webhook", f"/webhooks/{endpoint.pk}/"),
        ("problems", "/api/v1/problems"),
        ("key-revoke", f"/api-keys/{ApiKey.objects.filter(revoked_at=None).get().pk}/revoke/"),
        ("webhook-remove", f"/webhooks/{endpoint.pk}/remove/"),
    ]:
        page.goto(site.url(path))
        screenshot(page, f"self-service-{screen}-{device}")
        problems.extend(describe_violations(screen, axe_violations(page)))
        width = PHONE["width"] if phone else 1366
        if (extra := horizontal_overflow(page, width)) > 0:
            problems.append(f"[{screen}] {extra}px wider than the screen")
        selector = ".date, .nowrap, code.prefix, a.phone, td.state-cell button, td.state-cell a"
        problems.extend(f"[{screen}] wraps: {text}" for text in page.evaluate(WRAPPED, selector))
        problems.extend(f"[{screen}] cut off: {text}" for text in page.evaluate(CLIPPED, "main td, main td *"))
        if phone and (height := header_and_nav_height(page)) > 180:
            problems.append(f"[{screen}] the header and the menu take {height}px")

    assert problems == [], "\n".join(problems)
    assert tabs.errors == []


def test_the_menu_lists_the_business_api_like_the_service_settings(site: Site, tabs: Tabs):
    page = tabs.page()
    login(page, site)

    # The first list (各種サービス設定・変更, the manual's pattern) and the second (ビジネスAPI).
    looks = page.locator("section.menu ul:nth-of-type(-n+2) > li").evaluate_all(
        """(items) => items.map((li) => {
            const link = li.querySelector("a");
            const s = getComputedStyle(link);
            return [li.textContent.trim().startsWith("◆"), s.fontWeight, link.className];
        })"""
    )

    assert len(looks) == 4
    assert all(look == looks[0] for look in looks), looks
