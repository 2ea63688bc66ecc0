"""The Japanese catalogue is complete and its compiled .mo matches the .po (the UI's default language)."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
JA = ROOT / "locale" / "ja" / "LC_MESSAGES"


def po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every entry but the header; a msgid with a context is "context\x04msgid".

    A plural entry gives its singular msgid and its one form (Japanese has one: ``msgstr[0]``).
    """
    entries: list[tuple[str, str, bool]] = []
    msgid = msgstr = context = None
    fuzzy = False
    target = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgctxt "):
            context = ast.literal_eval(line[8:])
        elif line.startswith("msgid "):
            msgid, target = ast.literal_eval(line[6:]), "id"
        elif line.startswith("msgid_plural "):
            target = "plural"
        elif line.startswith("msgstr "):
            msgstr, target = ast.literal_eval(line[7:]), "str"
        elif line.startswith("msgstr[0] "):
            msgstr, target = ast.literal_eval(line[10:]), "str"
        elif line.startswith("msgstr["):
            target = "other form"
        elif line.startswith('"') and target == "id":
            msgid = (msgid or "") + ast.literal_eval(line)
        elif line.startswith('"') and target == "str":
            msgstr = (msgstr or "") + ast.literal_eval(line)
        elif not line and msgid is not None:
            if msgid:
                entries.append((f"{context}\x04{msgid}" if context else msgid, msgstr or "", fuzzy))
            msgid = msgstr = context = None
            fuzzy, target = False, None
    return entries


def test_every_message_has_a_japanese_translation():
    entries = po_entries(JA / "django.po")

    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source():
    catalogue = gettext.GNUTranslations((JA / "django.mo").open("rb"))

    def compiled(msgid: str) -> str | None:
        found = catalogue._catalog.get(msgid, catalogue._catalog.get((msgid, 0)))  # type: ignore[attr-defined]
        return found

    stale = [msgid for msgid, msgstr, _ in po_entries(JA / "django.po") if compiled(msgid) != msgstr]
    assert stale == []


def test_the_manuals_labels_are_in_the_catalogue_verbatim():
    translations = {msgstr for _, msgstr, _ in po_entries(JA / "django.po")}

    for label in [
        "セルフケアログイン",
        "セルフケアID",
        "セルフケアパスワード",
        "送信",
        "リセット",
        "戻る",
        "実行",
        "追加番号数",
        "認証コード",
        "各種サービス設定・変更",
        "050番号追加申込",
        "入力画面",
        "以下のIP電話番号(050番号)が追加されました。",
        "IP電話番号(050番号)",
        "付加サービスパスワード",
        "IP加入電話パスワード",
        "申込番号",
    ]:
        assert label in translations, label
