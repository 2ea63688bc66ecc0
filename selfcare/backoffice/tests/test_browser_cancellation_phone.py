"""The paper cancellation in Chromium at 390x844 and 1366x768: every column of its confirmation seen, nothing
scrolling sideways; a form received before a number's issue refused beside its date.

Screenshots go to test-artifacts/screenshots/staff-cancellation-confirm-*.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from selfcare.backoffice.tests.browser_support import past_both_steps
from selfcare.backoffice.tests.conftest import ja
from selfcare.core import clock
from selfcare.inventory.models import format_number
from selfcare.orders.models import Cancellation
from selfcare.portal.tests.browser_support import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser

COLUMNS = ["050 number", "application number", "issued", "last day of use", "cancellation takes effect"]


def clipped(page: Page, selector: str) -> list[str]:
    """The cells under ``selector`` whose text is cut off: past the screen's right edge, or hidden in a scroll box.

    Cells hidden for the eye alone (a phone's column headings, left for screen readers) are not looked at.
    """
    return page.locator(selector).evaluate_all(
        """(cells, width) => cells.filter((cell) => {
            const box = cell.getBoundingClientRect();
            if (box.width <= 1 || box.height <= 1 || cell.closest("thead")?.getBoundingClientRect().width <= 1) {
                return false;
            }
            let hidden = box.right > width + 0.5 || box.left < -0.5 || cell.scrollWidth > cell.clientWidth + 1;
            for (let up = cell.parentElement; up && up !== document.body; up = up.parentElement) {
                if (up.scrollWidth > up.clientWidth + 1 && getComputedStyle(up).overflowX !== "visible") hidden = true;
            }
            return hidden;
        }).map((cell) => cell.innerText)""",
        page.viewport_size["width"],
    )


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1366"])
def test_the_confirmation_shows_every_column_without_sideways_scrolling(busy_back_office, tabs, size):
    base, acme = busy_back_office
    numbers = list(
        acme.lines.filter(cancellation__isnull=True).order_by("number_id").values_list("number_id", flat=True)[:3]
    )
    page = tabs.page()
    past_both_steps(page, base)
    page.set_viewport_size(size)
    page.goto(f"{base}/staff/orders/cancellation/add/")
    page.get_by_label(re.compile("^" + ja("customer") + "[:：]?$")).fill("アクメ東京")
    page.get_by_label(ja("numbers to cancel")).fill("\n".join(numbers))
    page.get_by_label(ja("form received")).fill(clock.today().isoformat())
    page.get_by_label(ja("note")).fill("書面 2026-04 お客様控えあり 担当：山田")
    before = Cancellation.objects.count()
    page.get_by_role("button", name=ja("Check before recording")).click()
    expect(page.get_by_role("heading", name=ja("Confirm the paper cancellation"))).to_be_visible()
    table = page.get_by_role("table").filter(has_text=format_number(numbers[0]))
    expect(table).to_be_visible()
    for column in COLUMNS:
        expect(table.get_by_text(ja(column), exact=True).first).to_be_visible()
    for number in numbers:
        expect(table.get_by_text(format_number(number))).to_be_visible()
    screenshot(page, f"staff-cancellation-confirm-{size['width']}")

    assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"]
    assert clipped(page, ".cancellation-confirm table th, .cancellation-confirm table td") == []
    assert Cancellation.objects.count() == before
    assert not tabs.errors, tabs.errors


def test_a_form_received_before_the_issue_is_refused_beside_the_date_at_390(busy_back_office, tabs):
    base, acme = busy_back_office
    line = acme.lines.filter(cancellation__isnull=True).order_by("-issued_at", "number_id").first()
    issued_on = timezone.localdate(line.issued_at)
    received = (issued_on - dt.timedelta(days=3)).isoformat()
    effective = clock.today().isoformat()
    page = tabs.page()
    past_both_steps(page, base)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/staff/orders/cancellation/add/")
    page.get_by_label(re.compile("^" + ja("customer") + "[:：]?$")).fill("acme-tokyo")
    page.get_by_label(ja("numbers to cancel")).fill(format_number(line.number_id))
    page.get_by_label(ja("form received")).fill(received)
    page.get_by_label(
        re.compile("^" + re.escape(ja("cancellation takes effect (the number stops working that day)")))
    ).fill(effective)
    page.get_by_role("button", name=ja("Check before recording")).click()

    message = ja(
        "%(number)s was issued on %(issued_on)s, after the form was received (%(received_on)s): "
        "a form received before a number was issued cannot cancel it. "
        "Check the date received and the numbers against the paper form.",
        number=format_number(line.number_id),
        issued_on=issued_on.isoformat(),
        received_on=received,
    )
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_role("heading", name=ja("Confirm the paper cancellation"))).to_have_count(0)
    expect(page.get_by_label(ja("form received"))).to_have_value(received)  # kept, to be corrected
    expect(page.get_by_label(ja("numbers to cancel"))).to_have_value(format_number(line.number_id))
    screenshot(page, "staff-cancellation-received-before-issue-390")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert not Cancellation.objects.filter(lines=line).exists()
    assert not tabs.errors, tabs.errors
