"""The staff screens an operator uses every day, in Chromium at 1366x768 and 390x844, found by their labels.

Screenshots go to test-artifacts/screenshots/staff-ux-*.png.
"""

from __future__ import annotations

import re
import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from selfcare.accounts.models import Customer, Plan
from selfcare.backoffice.tests.browser_support import staff_login
from selfcare.backoffice.tests.conftest import _staff_user, ja, totp_token, wrong_token
from selfcare.orders.models import Cancellation
from selfcare.portal.tests.browser_support import screenshot

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LISTS = {
    "customers": "/staff/accounts/customer/",
    "letters": "/staff/letters/letter/",
    "audit": "/staff/audit/auditentry/",
}


def logged_in(page: Page, base: str) -> None:
    user = _staff_user(superuser=True)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    staff_login(page, base, user.username)
    expect(page).to_have_url(re.compile(r"/staff/otp/$"))
    expect(page.locator("#nav-sidebar")).to_have_count(0)  # nothing of the site before the second factor
    page.get_by_label(ja("Authenticator code")).fill(wrong_token(device))
    page.get_by_role("button", name=ja("Verify")).click()
    page.get_by_label(ja("Authenticator code")).fill(totp_token(device))
    page.get_by_role("button", name=ja("Verify")).click()
    errors = page.locator(".errorlist").inner_text()
    assert "時刻が自動設定" not in errors and re.search(r"\d\d:\d\d:\d\d", errors), errors
    screenshot(page, "staff-ux-otp-throttled")
    time.sleep(2.1)
    page.get_by_label(ja("Authenticator code")).fill(totp_token(device))
    page.get_by_role("button", name=ja("Verify")).click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def every_list() -> dict[str, str]:
    """The change list of every model on the staff site."""
    from django.contrib import admin
    from django.urls import reverse

    return {
        f"{model._meta.app_label}-{model._meta.model_name}": reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        for model in admin.site._registry
    }


def test_lists_fit_at_1366_and_do_not_scroll_sideways_at_390(busy_back_office, tabs):
    base, acme = busy_back_office
    Customer.objects.filter(pk=acme.pk).update(
        contract_name="アクメ東京ホールディングス株式会社 本社営業本部 第一営業部"
    )
    Plan.objects.filter(pk=acme.plan_id).update(name="ベーシックプラン", code="basic")
    page = tabs.page()
    page.set_viewport_size(WIDE)
    logged_in(page, base)
    lists = every_list()
    assert set(LISTS.values()) <= set(lists.values())
    for name, url in lists.items():
        page.set_viewport_size(WIDE)
        page.goto(base + url)
        table = page.locator("#result_list")
        if name == "accounts-customer":  # the menu starts folded on a list; the plan by its name alone
            expect(page.locator("#main")).not_to_have_class(re.compile(r"\bshifted\b"))
            expect(page.locator("#result_list td.field-plan_name").first).to_have_text("ベーシックプラン")
        if table.count():
            right = table.evaluate("(t) => t.getBoundingClientRect().right")
            assert right <= WIDE["width"], (name, right)
        screenshot(page, f"staff-ux-{name}-1366")
        assert page_width(page) <= WIDE["width"], name
        page.set_viewport_size(PHONE)
        page.goto(base + url)
        screenshot(page, f"staff-ux-{name}-390")
        assert page_width(page) <= PHONE["width"], name
    assert not tabs.errors, tabs.errors


def test_an_operators_day_by_labels(busy_back_office, tabs):
    base, acme = busy_back_office
    page = tabs.page()
    page.set_viewport_size(WIDE)
    logged_in(page, base)

    # The dashboard answers the morning's questions.
    glance = page.get_by_role("region", name=ja("Today at a glance"))
    expect(glance.get_by_role("link", name=re.compile(ja("letters to print")))).to_be_visible()
    expect(glance.get_by_role("link", name=re.compile(ja("numbers issuable now")))).to_be_visible()
    expect(page.get_by_role("heading", name=ja("Numbers issuable in the coming months"))).to_be_visible()
    expect(page.get_by_text("OTP_TOTP")).to_have_count(0)
    screenshot(page, "staff-ux-dashboard-1366")
    page.set_viewport_size(PHONE)
    screenshot(page, "staff-ux-dashboard-390")
    assert page_width(page) <= PHONE["width"]
    page.set_viewport_size(WIDE)

    # A new customer: the form in one column, the initial password large and in monospace.
    page.goto(f"{base}/staff/accounts/customer/add/")
    page.get_by_label(ja("Self-care ID")).fill("zeta-nagoya")
    page.get_by_label(ja("registered e-mail")).fill("it@zeta.example")
    page.get_by_label(ja("contract name")).fill("ゼータ名古屋株式会社")
    page.get_by_label(ja("postal code")).fill("４６０－０００１")
    page.get_by_label(ja("contract address")).fill("愛知県名古屋市中区三の丸1-1")
    page.get_by_label(ja("plan")).select_option(index=1)
    inputs = page.locator(
        "#content-main form .form-row input[type=text], #content-main form .form-row input[type=email]"
    )
    lefts = {round(x) for x in inputs.evaluate_all("(els) => els.map((e) => e.getBoundingClientRect().left)")}
    screenshot(page, "staff-ux-customer-add-1366")
    assert len(lefts) == 1, lefts  # every field starts in the same column
    page.get_by_role("button", name=ja("Save")).click()
    # The initial password goes by post only: the page says so and shows none.
    expect(
        page.get_by_text(ja("The initial password will be posted to the contract address (the letter is queued)."))
    ).to_be_visible()
    assert page.locator(".initial-password").count() == 0
    screenshot(page, "staff-ux-customer-created-1366")
    page.set_viewport_size(PHONE)
    screenshot(page, "staff-ux-customer-created-390")
    assert page_width(page) <= PHONE["width"]
    page.set_viewport_size(WIDE)
    assert Customer.objects.get(user__username="zeta-nagoya").postal_code == "460-0001"

    # A paper cancellation: the customer by name, a confirmation, then recorded.
    number = acme.lines.filter(cancellation__isnull=True).order_by("number_id").first().number_id
    page.goto(f"{base}/staff/orders/cancellation/add/")
    page.get_by_label(re.compile("^" + ja("customer") + "[:：]?$")).fill("アクメ東京")
    page.get_by_label(ja("numbers to cancel")).fill(number)
    page.get_by_label(ja("form received")).fill(time.strftime("%Y-%m-%d"))
    before = Cancellation.objects.count()
    page.get_by_role("button", name=ja("Check before recording")).click()
    expect(page.get_by_role("heading", name=ja("Confirm the paper cancellation"))).to_be_visible()
    shown = f"{number[:3]}-{number[3:7]}-{number[7:]}"
    expect(page.get_by_role("table").filter(has_text=shown)).to_be_visible()
    screenshot(page, "staff-ux-cancellation-confirm-1366")
    assert Cancellation.objects.count() == before
    page.get_by_role("button", name=ja("Record the cancellation")).click()
    expect(page).to_have_url(re.compile(r"/staff/orders/cancellation/\d+/change/$"))
    assert Cancellation.objects.count() == before + 1

    # The inventory by state.
    page.goto(f"{base}/staff/inventory/phonenumber/")
    page.get_by_role("link", name=ja("in quarantine"), exact=True).click()
    expect(page.locator("td.field-state").first).to_contain_text(ja("in quarantine, issuable from %(day)s", day="")[:5])
    screenshot(page, "staff-ux-inventory-quarantine-1366")

    # The audit log by action name.
    page.goto(f"{base}/staff/audit/auditentry/")
    expect(
        page.locator("td.field-audit_action").filter(has_text=ja("Paper cancellation recorded")).first
    ).to_be_visible()

    # Billing: a month picker set to last month and a button that says what it does.
    page.goto(f"{base}/staff/orders/application/billing/")
    month = page.get_by_label(ja("month"))
    expect(month).to_have_attribute("type", "month")
    assert re.fullmatch(r"\d{4}-\d{2}", month.input_value())
    expect(page.get_by_role("button", name=ja("Download the billing CSV"))).to_be_visible()
    screenshot(page, "staff-ux-billing-1366")
    assert not tabs.errors, tabs.errors
