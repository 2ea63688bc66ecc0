"""新しい初期パスワードを郵送 in Chromium: chosen on the customer list, asked first, then queued (1366x768, 390x844).

Screenshots go to test-artifacts/screenshots/staff-password-letter-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from selfcare.backoffice.tests.browser_support import past_both_steps
from selfcare.backoffice.tests.conftest import ja
from selfcare.letters.models import Letter
from selfcare.portal.tests.browser_support import horizontal_overflow, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_customer_centre_posts_a_new_initial_password_after_a_confirmation(busy_back_office, tabs, phone):
    base, acme = busy_back_office
    device = "phone" if phone else "desktop"
    page = tabs.page(phone=phone)
    past_both_steps(page, base)
    page.goto(f"{base}/staff/accounts/customer/")
    page.locator(f'input[name="_selected_action"][value="{acme.pk}"]').check()
    page.locator('select[name="action"]').select_option("password_letter")
    page.locator('button[name="index"]').click()

    expect(page.get_by_role("heading", name=ja("Post a new initial password?"))).to_be_visible()
    expect(page.get_by_text("電話でお伝えすることはありません")).to_be_visible()
    screenshot(page, f"staff-password-letter-confirm-{device}")
    assert horizontal_overflow(page, 390 if phone else 1366) <= 0
    assert not Letter.objects.filter(customer=acme, kind=Letter.Kind.SELFCARE_CREDENTIALS).exists()

    page.get_by_role("button", name=ja("Post a new initial password")).click()

    expect(page).to_have_url(re.compile(r"/staff/accounts/customer/"))
    expect(page.locator(".messagelist")).to_contain_text("郵送物の画面から印刷・発送してください")
    screenshot(page, f"staff-password-letter-done-{device}")
    assert Letter.objects.filter(customer=acme, kind=Letter.Kind.SELFCARE_CREDENTIALS, posted_at=None).count() == 1
