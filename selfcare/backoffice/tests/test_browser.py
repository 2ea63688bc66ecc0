"""The back office in a real browser (Debian's Chromium through Playwright), with screenshots for people to look at.

Run: .venv/bin/pytest selfcare/backoffice/tests/test_browser.py -q -p no:cacheprovider
Screenshots go to test-artifacts/screenshots/staff-*.png.
"""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from selfcare.accounts.services import staff_enrolment_code_issue
from selfcare.backoffice.tests.browser_support import staff_login
from selfcare.backoffice.tests.conftest import _staff_user, ja, totp_token
from selfcare.letters.models import Letter
from selfcare.portal.tests.browser_support import (
    DESKTOP,
    TIMEOUT_MS,
    screenshot,
)
from selfcare.testing import TEST_ACTOR

pytestmark = pytest.mark.browser


def test_staff_pages_in_japanese(busy_back_office, tabs):
    base, acme = busy_back_office
    user = _staff_user(superuser=True)
    page = tabs.page()
    # The staff site's Content-Security-Policy must not block anything the admin uses.
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)

    # First login: the enrolment code an administrator handed over, then the enrolment page with its QR code.
    enrolment_code = staff_enrolment_code_issue(username=user.username, actor=TEST_ACTOR).code
    staff_login(page, base, user.username)
    expect(page).to_have_url(re.compile(r"/staff/otp/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator(".otp-qr")).to_have_count(0)
    screenshot(page, "staff-otp-enrolment-code")
    page.locator("#id_enrolment_code").fill(enrolment_code)
    page.locator("input[type=submit]").click()
    qr = page.locator(".otp-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100, box
    screenshot(page, "staff-otp-enrolment")

    device = TOTPDevice.objects.get(user=user)
    page.locator("#id_token").fill(totp_token(device))
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    # The dashboard: pool figures, the low-pool warning (300 numbers < 1000), two SVG charts with bars.
    expect(page.locator(".module.dashboard .errornote")).to_be_visible()
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(2)
    for i in range(2):
        chart = charts.nth(i)
        expect(chart).to_be_visible()
        heights = chart.locator("rect").evaluate_all("(rects) => rects.map((r) => r.getBoundingClientRect().height)")
        assert len(heights) == 12 and max(heights) > 50, heights
    screenshot(page, "staff-dashboard")

    # A customer's page with numbers, applications, letters and audit trail.
    page.goto(f"{base}/staff/accounts/customer/{acme.pk}/change/")
    expect(page.locator("#id_contract_name")).to_have_value("アクメ東京株式会社")
    screenshot(page, "staff-customer-change")

    # Import: a range typed with hyphens, previewed before anything is written.
    page.goto(f"{base}/staff/inventory/phonenumber/import/")
    page.locator("#id_first").fill("050-0000-0290")
    page.locator("#id_last").fill("050-0000-0349")
    page.locator("input[name=preview]").click()
    expect(page.locator("input[name=confirm]")).to_be_visible()
    expect(page.locator("#content-main .module").last).to_contain_text("50")
    screenshot(page, "staff-import-preview")

    # The letters waiting to be printed.
    page.goto(f"{base}/staff/letters/letter/?posted=no")
    expect(page.locator("#result_list")).to_be_visible()
    screenshot(page, "staff-letters")

    # Print the unprinted letters: the progress bar fills, then the PDF is offered for download; the letters
    # are recorded as printed only when the operator confirms the pages came out.
    unprinted = Letter.objects.filter(print_count=0).count()
    page.goto(f"{base}/staff/letters/letter/print/")
    with page.expect_download() as download:
        page.get_by_role("button", name=ja("Make the PDF")).click()
    assert download.value.suggested_filename == "letters.pdf"
    expect(page.locator("#print-progress")).to_have_attribute("value", str(unprinted))
    expect(page.locator("#print-result")).to_be_visible()
    confirm = page.get_by_role("button", name=ja("The pages are printed: record as printed"))
    expect(confirm).to_be_visible()
    screenshot(page, "staff-print-progress")
    assert Letter.objects.filter(print_count=0).count() == unprinted
    confirm.click()
    expect(page.get_by_text(ja("Recorded %(n)d letters as printed.", n=unprinted))).to_be_visible()
    screenshot(page, "staff-print-confirmed")
    assert not Letter.objects.filter(print_count=0).exists()

    assert page.viewport_size == DESKTOP
    assert not tabs.errors, tabs.errors
    page.set_default_timeout(TIMEOUT_MS)
    assert blocked == []
