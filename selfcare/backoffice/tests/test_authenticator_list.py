"""The staff authenticators' list and page speak the staff member's language (django-otp's are English)."""

from __future__ import annotations

import re

from selfcare.backoffice.tests.conftest import html, ja


def test_the_authenticator_list_and_page_are_in_japanese(superuser, world):
    page = html(superuser.get("/staff/otp_totp/totpdevice/"))
    headers = re.findall(r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>(.*?)</', page, re.S)
    for label in ("staff user", "name of the authenticator", "registered", "last used", "confirmed"):
        assert ja(label) in headers, label
    assert ja("Add an authenticator app") in page and ja("Search by the staff user's ID or e-mail address.") in page
    assert f"<title>{ja('Authenticator apps')} |" in page
    for english in ("CREATED AT", "LAST USED AT", "created at", "TOTP device を"):
        assert english not in page, english

    device = superuser.device
    change = html(superuser.get(f"/staff/otp_totp/totpdevice/{device.pk}/change/"))
    for label in ("Authenticator", "Dates", "Settings", "name of the authenticator", "registered", "digits"):
        assert ja(label) in change, label
    for english in (">Identity<", ">Timestamps<", ">Throttling<", "Created at", "Last used at"):
        assert english not in change, english
