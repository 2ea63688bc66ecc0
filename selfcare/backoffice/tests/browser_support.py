"""Helpers for the back office's Playwright tests (plain functions; ``busy_back_office`` is a fixture of this
folder's conftest, ``browser`` and ``tabs`` are the root conftest's, the rest is in the portal's browser_support)."""

from __future__ import annotations

import re

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from selfcare.backoffice.tests.conftest import STAFF_PASSWORD, _staff_user, ja, totp_token


def staff_login(page: Page, base: str, username: str) -> None:
    """The password step of the staff login, for ``username`` (with the test staff password)."""
    page.goto(f"{base}/staff/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(STAFF_PASSWORD)
    page.locator("input[type=submit]").click()


def past_both_steps(page: Page, base: str) -> None:
    """A new superuser with a confirmed authenticator logs in: password, then the authenticator's code."""
    user = _staff_user(superuser=True)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    staff_login(page, base, user.username)
    page.get_by_label(ja("Authenticator code")).fill(totp_token(device))
    page.get_by_role("button", name=ja("Verify")).click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
