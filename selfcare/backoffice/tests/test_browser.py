"""The back office in a real browser (Debian's Chromium through Playwright), with screenshots for people to look at.

Run: .venv/bin/pytest selfcare/backoffice/tests/test_browser.py -q -p no:cacheprovider
Screenshots go to test-artifacts/screenshots/staff-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from selfcare.accounts.services import staff_enrolment_code_issue
from selfcare.backoffice.tests.conftest import STAFF_PASSWORD, _staff_user, ja, totp_token
from selfcare.core import clock
from selfcare.letters.models import Letter
from selfcare.orders.services import numbers_add, numbers_cancel
from selfcare.portal.tests.browser_support import (
    DESKTOP,
    TIMEOUT_MS,
    Tabs,
    chromium_browser,
    screenshot,
)
from selfcare.testing import TEST_ACTOR, CustomerFactory, UserFactory, pool_add

pytestmark = pytest.mark.browser

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
WEEKLY_ADDITIONS = [2, 4, 1, 6, 3, 0, 5, 8, 2, 7, 4, 3]  # oldest week first, this week last


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def tabs(browser):
    opened = Tabs(browser)
    yield opened
    opened.close()


@pytest.fixture
def busy_back_office(live_server, transactional_db, roles, plan):
    """Numbers added in each of the last 12 weeks and cancellations leaving quarantine over the coming months."""
    today = clock.today()
    pool_add("05000000000", 300, available_from=today - dt.timedelta(weeks=13))
    customers = [
        CustomerFactory(
            plan=plan,
            user=UserFactory(username="acme-tokyo", email="info@acme-tokyo.example"),
            contract_name="アクメ東京株式会社",
            addition_limit=200,
        ),
        CustomerFactory(plan=plan, contract_name="ベータ商事株式会社", addition_limit=200),
    ]
    this_monday = today - dt.timedelta(days=today.weekday())
    for weeks_ago, count in zip(range(11, -1, -1), WEEKLY_ADDITIONS, strict=True):
        if not count:
            continue
        moment = dt.datetime.combine(this_monday - dt.timedelta(weeks=weeks_ago), dt.time(10), tzinfo=TOKYO)
        with time_machine.travel(moment, tick=False):
            numbers_add(
                customer_id=customers[weeks_ago % 2].pk, count=count, idempotency_key=f"w{weeks_ago}", actor=TEST_ACTOR
            )
    acme_numbers = sorted(customers[0].lines.values_list("number_id", flat=True))
    # Paper cancellations that took effect over the last weeks: their quarantines end over the coming months.
    chunks = (acme_numbers[0:3], acme_numbers[3:4], acme_numbers[4:8], acme_numbers[8:10])
    for days_ago, chunk in zip((60, 40, 20, 5), chunks, strict=True):
        effective = today - dt.timedelta(days=days_ago)
        numbers_cancel(customer_id=customers[0].pk, numbers=chunk, received_on=effective, actor=TEST_ACTOR)
    return live_server.url, customers[0]


def staff_login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/staff/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(STAFF_PASSWORD)
    page.locator("input[type=submit]").click()


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
