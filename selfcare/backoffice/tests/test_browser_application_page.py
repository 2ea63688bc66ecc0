"""The staff application page in Chromium at 1366x768 and 390x844: the plan by its name, found by its label.

Screenshots go to test-artifacts/screenshots/staff-application-page-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from selfcare.backoffice.tests.browser_support import past_both_steps
from selfcare.backoffice.tests.conftest import ja
from selfcare.portal.tests.browser_support import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_application_page_names_the_plan(busy_back_office, tabs, size):
    base, acme = busy_back_office
    application = acme.applications.order_by("-placed_at").first()
    page = tabs.page()
    past_both_steps(page, base)
    page.set_viewport_size(size)
    page.goto(f"{base}/staff/orders/application/")
    page.get_by_role("link", name=application.application_number, exact=True).click()

    label = page.get_by_text(re.compile("^" + ja("plan at the time") + "[:：]?$"))
    row = page.locator(".form-row").filter(has=label)
    expect(row).to_contain_text(acme.plan.name)
    expect(row).not_to_contain_text(acme.plan.code)
    screenshot(page, f"staff-application-page-{size['width']}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"]
    assert not tabs.errors, tabs.errors
