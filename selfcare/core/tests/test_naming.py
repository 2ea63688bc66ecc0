"""One Japanese word for one thing on every screen, letter and e-mail (the manual's word where it has one).

| thing | word | not |
| --- | --- | --- |
| numbers an application adds | 追加番号数 (the manual's; a customer's total: 累計追加番号数) | 追加済み番号数 |
| what the customer is charged for their numbers | 請求 | 課金 |
| the customer's name on the contract | 契約者名 | 契約名 |
| the password the customer has now | 現在のパスワード | 元のパスワード |
| the carrier's support line (the manual's お客様センター) | お客様センター | カスタマーセンター |
| the 6-digit code e-mailed at login and to confirm a change | 認証コード (the manual's) | 確認コード |
| the service (the manual's name) | カスタマー・セルフケア・サービス | お客様セルフケア |
"""

from __future__ import annotations

from pathlib import Path

import pytest

from selfcare.core.tests.test_translations import JA, ROOT, po_entries

LOSERS = {
    "追加済み番号数": "追加番号数",
    "課金": "請求",
    "契約名": "契約者名",
    "元のパスワード": "現在のパスワード",
    "カスタマーセンター": "お客様センター",
    "確認コード": "認証コード",
    "お客様セルフケア": "カスタマー・セルフケア・サービス",
}


def _shown_sources() -> list[Path]:
    """Templates, e-mails and the code that writes letters and messages: everything but tests."""
    return [
        path
        for path in (ROOT / "selfcare").rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and "tests" not in path.parts and path.is_file()
    ]


@pytest.mark.parametrize("loser", LOSERS)
def test_the_losing_word_is_in_no_japanese_message(loser):
    assert [msgid for msgid, msgstr, _ in po_entries(JA / "django.po") if loser in msgstr] == []


@pytest.mark.parametrize("loser", LOSERS)
def test_the_losing_word_is_in_no_template_letter_or_e_mail(loser):
    assert [str(path.relative_to(ROOT)) for path in _shown_sources() if loser in path.read_text("utf-8")] == []


def test_each_winning_word_is_used():
    translations = " ".join(msgstr for _, msgstr, _ in po_entries(JA / "django.po"))
    for winner in LOSERS.values():
        assert winner in translations, winner
