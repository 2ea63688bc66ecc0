"""The forgotten-password pages in Chromium at 1366×768 and 390×844, found by their labels as a customer would.

Screenshots go to test-artifacts/screenshots/forgotten-*.png. The customer centre's number never wraps inside
its sentence (a tel: link broken over two lines reads as two numbers on a phone).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from selfcare.letters.models import Letter
from selfcare.portal.tests.browser_support import (
    PHONE,
    axe_violations,
    button,
    describe_violations,
    fits_the_window,
    horizontal_overflow,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("axe_core")]

LONG_SUPPORT_PHONE = "0120-987-123-4567"  # longer than a real one: the worst case for a line break


def phone_links_that_may_wrap(page: Page) -> list[str]:
    """Every tel: link split over more than one line now, or free to be split at another width or font size."""
    return page.evaluate(
        """() => [...document.querySelectorAll('a[href^="tel:"]')]
            .filter((a) => new Set([...a.getClientRects()].map((r) => Math.round(r.top))).size > 1
                || getComputedStyle(a).whiteSpace !== "nowrap")
            .map((a) => a.textContent)"""
    )


def check(page: Page, screen: str, phone: bool) -> list[str]:
    screenshot(page, f"forgotten-{screen}-{'phone' if phone else 'desktop'}")
    problems = describe_violations(screen, axe_violations(page))
    if phone and (extra := horizontal_overflow(page, PHONE["width"])) > 0:
        problems.append(f"[{screen}] {extra}px wider than the phone")
    if not fits_the_window(page):
        problems.append(f"[{screen}] scrolls sideways")
    problems.extend(f"[{screen}] the number may wrap: {text}" for text in phone_links_that_may_wrap(page))
    return problems


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_forgotten_password_request_and_answer_by_their_labels(site, tabs, phone, settings):
    settings.SELFCARE_SUPPORT_PHONE = LONG_SUPPORT_PHONE
    page = tabs.page(phone=phone, bypass_csp=True)  # axe is injected as an inline script
    page.goto(site.url("/login/"))
    page.get_by_role("link", name="パスワードをお忘れの方").click()

    expect(page.get_by_role("heading", name="パスワードをお忘れの方", level=1)).to_be_visible()
    expect(
        page.get_by_text("現在のパスワードは、新しいパスワードで初めてログインするまで使えます。", exact=False)
    ).to_be_visible()
    problems = check(page, "request", phone)
    button(page, "送信").click()  # nothing typed: the fields say what is missing
    expect(page.get_by_text("このフィールドは必須です。")).to_have_count(2)
    problems += check(page, "request-errors", phone)

    page.get_by_label("セルフケアID").fill(site.customer.selfcare_id)
    page.get_by_label("登録メールアドレス").fill(site.customer.email)
    button(page, "送信").click()

    expect(page.get_by_role("status")).to_have_text("お申込みを受け付けました。")
    centre = page.get_by_role("main").get_by_role("link", name=LONG_SUPPORT_PHONE)
    expect(centre).to_have_attribute("href", f"tel:{LONG_SUPPORT_PHONE}")
    problems += check(page, "answer", phone)
    page.get_by_role("link", name="ログイン画面へ戻る").click()
    expect(page.get_by_role("heading", name="セルフケアログイン", level=1)).to_be_visible()

    assert not problems, "\n".join(problems)
    assert Letter.objects.filter(customer=site.customer, kind=Letter.Kind.SELFCARE_CREDENTIALS).count() == 1
    assert tabs.errors == []


def test_the_customer_centres_number_stays_on_one_line_in_a_refused_login_on_a_phone(site, tabs, settings):
    settings.SELFCARE_SUPPORT_PHONE = LONG_SUPPORT_PHONE
    page = tabs.page(phone=True, bypass_csp=True)
    page.goto(site.url("/login/"))
    page.get_by_label("セルフケアID").fill(site.customer.selfcare_id)
    page.get_by_label("セルフケアパスワード").fill("not the right password at all")
    button(page, "送信").click()
    expect(page.get_by_role("alert")).to_be_visible()

    problems = check(page, "login-refused", phone=True)

    assert not problems, "\n".join(problems)
