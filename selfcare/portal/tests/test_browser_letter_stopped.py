"""A password changed while a forgotten-password letter waits: the completion page says the letter was stopped, in
Chromium at 390x844 and 1366x768, found by its labels as a customer would.

Screenshots go to test-artifacts/screenshots/password-letter-stopped-*.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from selfcare.letters.models import Letter
from selfcare.portal.tests.browser_support import (
    PHONE,
    button,
    fits_the_window,
    horizontal_overflow,
    login,
    nav_link,
    screenshot,
)
from selfcare.portal.tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("axe_core")]

NEW_PASSWORD = "a brand new password chosen meanwhile"
STOPPED = (
    "ご依頼の新しい初期パスワードの郵送物は、発送前のため発送を中止しました。"
    "今回設定したパスワードでログインしてください。"
)


@pytest.mark.parametrize("phone", [True, False], ids=["390", "1366"])
def test_the_completion_page_says_the_letter_asked_for_was_stopped(site, tabs, phone):
    page = tabs.page(phone=phone)
    page.goto(site.url("/login/"))
    page.get_by_role("link", name="パスワードをお忘れの方").click()
    page.get_by_label("セルフケアID").fill(site.customer.selfcare_id)
    page.get_by_label("登録メールアドレス").fill(site.customer.email)
    button(page, "送信").click()
    expect(page.get_by_role("status")).to_have_text("お申込みを受け付けました。")

    login(page, site)  # the current password still works while the letter is on its way
    nav_link(page, "パスワード変更").click()
    page.get_by_label("現在のパスワード", exact=True).fill(PASSWORD)
    page.get_by_label("新しいパスワード", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("新しいパスワード(確認)", exact=True).fill(NEW_PASSWORD)
    button(page, "送信").click()

    expect(page.get_by_text(STOPPED)).to_be_visible()
    screenshot(page, f"password-letter-stopped-{'390' if phone else '1366'}")
    assert fits_the_window(page) and (not phone or horizontal_overflow(page, PHONE["width"]) <= 0)
    letter = Letter.objects.get(customer=site.customer, kind=Letter.Kind.SELFCARE_CREDENTIALS)
    assert letter.withdrawn_reason == Letter.Withdrawal.PASSWORD_CHANGED
    assert tabs.errors == []
