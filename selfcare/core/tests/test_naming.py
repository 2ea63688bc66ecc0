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
| a cancellation on the paper form (the manual's) | 書面での解約 | 書面解約 |
| putting 050 numbers into the inventory | 取り込み (050番号の取り込み, as the button 取り込む) | 取込 |
| the customer's address (manual: ご登録メールアドレス) | 登録メールアドレス | bare メールアドレス |
| how many letters | 通 | 件 |
| a posted letter (rules.md, "Names on the screens") | 郵送物 (its kinds keep their titles) | ご案内, 書面 |
| the audit log and its entries | 監査ログ | 監査記録 |
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from selfcare.core.tests.test_translations import JA, ROOT, po_entries

LOSERS = {
    "追加済み番号数": "追加番号数",
    "課金": "請求",
    "契約名": "契約者名",
    "元のパスワード": "現在のパスワード",
    "カスタマーセンター": "お客様センター",
    "確認コード": "認証コード",
    "お客様セルフケア": "カスタマー・セルフケア・サービス",
    "書面解約": "書面での解約",
    "取込": "取り込み",
    "監査記録": "監査ログ",
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


def test_letters_are_counted_in_tsu():
    """郵送物 are counted 通 (3通を印刷しました), never 件, in every message about letters."""
    counted_in_ken = [
        msgid
        for msgid, msgstr, _ in po_entries(JA / "django.po")
        if re.search(r"\bletters?\b", msgid, flags=re.IGNORECASE) and "件" in msgstr
    ]
    assert counted_in_ken == []


def test_the_customer_page_names_the_registered_e_mail_address():
    from selfcare.backoffice.admin.customers import CustomerAdmin
    from selfcare.backoffice.forms import CustomerCreateForm

    with translation.override("ja"):
        shown = str(CustomerAdmin.email.short_description)  # type: ignore[attr-defined]
        assert shown == "登録メールアドレス"
        assert str(CustomerCreateForm.base_fields["email"].label) == shown


def test_a_wrong_current_password_is_called_the_current_password():
    from selfcare.portal.forms import PasswordForm

    with translation.override("ja"):
        message = str(PasswordForm.error_messages["password_incorrect"])
    assert message.startswith("現在のパスワードが間違っています"), message


def test_audit_action_labels_are_noun_phrases():
    from selfcare.backoffice.audit_labels import ACTION_LABELS

    with translation.override("ja"):
        assert str(ACTION_LABELS["customer.created"]) == "契約者の登録"
        sentences = [code for code, label in ACTION_LABELS.items() if str(label).endswith(("ました", "ました。"))]
    assert sentences == []


_TITLE = re.compile(r"「[^」]*」")


def _letter_kind_titles() -> list[str]:
    from selfcare.letters.models import Letter

    with translation.override("ja"):
        return sorted((str(label) for _, label in Letter.Kind.choices), key=len, reverse=True)


def test_a_letter_is_called_a_yuusoubutsu():
    """A letter is 郵送物 on every screen: never ご案内 or 書面 (a kind of letter keeps its title, 「…のご案内」);
    書面 stays the customer's paper form (書面での解約, 書面受付日), which is not a letter."""
    titles = _letter_kind_titles()
    called_otherwise = []
    for msgid, msgstr, _ in po_entries(JA / "django.po"):
        if not re.search(r"\bletters?\b", msgid, flags=re.IGNORECASE):
            continue
        text = _TITLE.sub("", msgstr)
        for title in titles:
            text = text.replace(title, "")
        if "ご案内" in text or "書面" in text:
            called_otherwise.append(msgstr)
    assert called_otherwise == []
