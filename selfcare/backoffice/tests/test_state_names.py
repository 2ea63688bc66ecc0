"""One name per state on every screen (rules.md, *Names on the screens*).

A number held by a customer is 利用中, one that can be issued now 払い出し可能, one that waits for a later
date (a cancellation's quarantine, an import for later) 払い出し待ち; a posted letter is a 郵送物. The
names they had beside these (空き, 解約後の待機中, 隔離期間中, 使用中, 払い出し済み, レター) are gone.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from selfcare.backoffice.tests.conftest import html

ABANDONED = ("空き", "解約後の待機中", "隔離期間", "待機明け", "使用中", "払い出し済み", "レター")
HELD, ISSUABLE, WAITING, LETTER = "利用中", "払い出し可能", "払い出し待ち", "郵送物"


def abandoned_in(text: str) -> list[str]:
    return [name for name in ABANDONED if name in text]


def test_the_japanese_catalogue_uses_one_name_per_state():
    catalogue = Path(settings.BASE_DIR, "locale", "ja", "LC_MESSAGES", "django.po").read_text(encoding="utf-8")
    translations = "\n".join(re.findall(r'^msgstr "(.*)"$', catalogue, re.M))

    assert abandoned_in(translations) == []


def test_the_dashboard_the_inventory_and_a_numbers_page_use_the_same_names(superuser, world):
    dashboard = html(superuser.get("/staff/"))
    inventory = html(superuser.get("/staff/inventory/phonenumber/"))
    waiting = html(superuser.get("/staff/inventory/phonenumber/", {"state": "quarantine"}))
    number_page = html(superuser.get("/staff/inventory/phonenumber/05000000002/change/"))  # cancelled today
    letters = html(superuser.get("/staff/letters/letter/"))

    for page in (dashboard, inventory, waiting, number_page, letters):
        assert abandoned_in(page) == []
    assert all(name in dashboard for name in (HELD, ISSUABLE, WAITING))
    assert all(f">{name}</a>" in inventory for name in (HELD, ISSUABLE, WAITING))  # the state filter
    assert f"{WAITING}(" in waiting and f"{WAITING}(" in number_page
    assert LETTER in letters
