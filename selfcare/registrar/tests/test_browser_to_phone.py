"""From the browser to the phone: a customer adds a number in Chromium, reads the IP phone password off
the completion page, and a SIP phone (sipp) registers with it at the real Kamailio."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from selfcare.portal.tests.browser_support import (
    JA,
    Site,
    Tabs,
    button,
    chromium_browser,
    expect_completion,
    to_confirm,
)

pytestmark = [pytest.mark.postgres, pytest.mark.browser]


# Chromium starts last, in the test (not the root conftest's module-wide ``browser``): the fixtures touch the
# database, and under Playwright's event loop they would open a connection of their own that nobody closes.
def test_a_number_added_in_the_browser_registers_with_the_password_shown(
    registrar, live_server, login_customer, pool, mailoutbox
):
    site = Site(base=live_server.url, customer=login_customer, outbox=mailoutbox)
    with chromium_browser() as browser:
        tabs = Tabs(browser)
        try:
            page = tabs.page()
            to_confirm(page, site, 1)
            button(page, JA["execute"]).click()
            expect_completion(page)

            row = page.get_by_role("table").locator("tbody").get_by_role("row")
            expect(row).to_have_count(1)
            shown_number, _pin, shown_password = (cell.strip() for cell in row.get_by_role("cell").all_inner_texts())
        finally:
            tabs.close()
        number = re.sub(r"\D", "", shown_number)
        assert re.fullmatch(r"050\d{8}", number), shown_number
        assert len(shown_password) == 12

        registrar.register(number=number, password=shown_password, expect=200)
        registrar.register(number=number, password=shown_password[:-1], expect=403)
