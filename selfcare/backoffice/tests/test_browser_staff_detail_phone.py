"""A failed job's error in full wraps on a phone, the second-factor page has a way out, and a cancellation on a
number's issue day is warned of; in Chromium at 390x844
and 1366x768. Screenshots go to test-artifacts/screenshots/staff-detail-*.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from selfcare.backoffice.tests.browser_support import past_both_steps, staff_login
from selfcare.backoffice.tests.conftest import _staff_user, ja, totp_token
from selfcare.inventory.models import format_number
from selfcare.jobs import enqueue
from selfcare.jobs.tests import sample_jobs
from selfcare.letters.models import Letter
from selfcare.portal.tests.browser_support import screenshot
from selfcare.testing import jobs_run

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _failed_job() -> str:
    sample_jobs.CALLS.clear()
    sample_jobs.FAILURES_LEFT["phone"] = 3
    with transaction.atomic():
        job_id = enqueue(sample_jobs.flaky, name="phone")
    now = timezone.now()
    for _ in range(3):
        with time_machine.travel(now, tick=False):
            jobs_run()
        now += dt.timedelta(hours=1)
    return str(job_id)


def test_a_failed_jobs_error_wraps_on_a_phone(live_server, transactional_db, roles, tabs):
    job_id = _failed_job()
    user = _staff_user("operations")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    page = tabs.page()
    for size, name in ((PHONE, "390"), (WIDE, "1366")):
        page.set_viewport_size(size)
        if name == "390":
            staff_login(page, live_server.url, user.username)
            page.get_by_label(ja("Authenticator code")).fill(totp_token(device))
            page.get_by_role("button", name=ja("Verify")).click()
            expect(page).to_have_url(re.compile(r"/staff/$"))
        page.goto(f"{live_server.url}/staff/jobs/job/{job_id}/change/")
        trace = page.locator("pre.job-trace")
        expect(trace).to_contain_text("the far end refused")
        screenshot(page, f"staff-detail-job-{name}")
        box = trace.evaluate("(p) => [p.scrollWidth, p.clientWidth, p.getBoundingClientRect().right]")
        assert box[0] <= box[1] + 1, (name, box)  # nothing cut off inside the box
        assert box[2] <= size["width"], (name, box)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"], name
    assert not tabs.errors, tabs.errors


def test_the_second_factor_page_has_a_way_out(live_server, transactional_db, roles, tabs):
    user = _staff_user("customer centre")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    page = tabs.page()
    for size, name in ((WIDE, "1366"), (PHONE, "390")):
        page.set_viewport_size(size)
        staff_login(page, live_server.url, user.username)
        expect(page).to_have_url(re.compile(r"/staff/otp/$"))
        expect(page.get_by_text("認証アプリを使えない場合は管理者にお問い合わせください")).to_be_visible()
        screenshot(page, f"staff-detail-otp-{name}")
        page.get_by_role("button", name="ログアウト").click()
        page.goto(f"{live_server.url}/staff/otp/")
        expect(page).to_have_url(re.compile(r"/staff/login/"))
    assert not tabs.errors, tabs.errors


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["390", "1366"])
def test_a_cancellation_on_the_issue_day_is_warned_of_on_the_confirmation(busy_back_office, tabs, size):
    base, acme = busy_back_office
    line = acme.lines.filter(cancellation__isnull=True).order_by("-issued_at", "number_id").first()
    issued_on = timezone.localdate(line.issued_at)
    page = tabs.page()
    past_both_steps(page, base)
    page.set_viewport_size(size)
    page.goto(f"{base}/staff/orders/cancellation/add/")
    page.get_by_label(re.compile("^" + ja("customer") + "[:：]?$")).fill("acme-tokyo")
    page.get_by_label(ja("numbers to cancel")).fill(line.number_id)
    page.get_by_label(ja("form received")).fill(issued_on.isoformat())  # 解約日 blank: the same day
    page.get_by_role("button", name=ja("Check before recording")).click()
    expect(page.locator(".same-day-note")).to_contain_text(format_number(line.number_id))
    expect(page.locator(".confirm-lines")).to_contain_text("なし（払い出し当日に解約）")
    screenshot(page, f"staff-detail-cancellation-same-day-{size['width']}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"]
    assert not tabs.errors, tabs.errors


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["390", "1366"])
def test_a_stopped_letters_page_and_the_dashboards_billing_link(busy_back_office, tabs, size):
    base, acme = busy_back_office
    letter = Letter.objects.filter(customer=acme).order_by("pk").first()
    Letter.objects.filter(pk=letter.pk).update(
        print_count=1, withdrawn_at=timezone.now(), withdrawn_reason=Letter.Withdrawal.PASSWORD_CHANGED
    )
    page = tabs.page()
    past_both_steps(page, base)
    page.set_viewport_size(size)
    expect(page.get_by_role("link", name=re.compile(ja("Billing export")))).to_be_visible()
    screenshot(page, f"staff-detail-dashboard-{size['width']}")
    page.goto(f"{base}/staff/letters/letter/{letter.pk}/change/")
    expect(page.locator(".letter-stopped")).to_contain_text("シュレッダー")
    screenshot(page, f"staff-detail-letter-stopped-{size['width']}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"]
    assert not tabs.errors, tabs.errors
