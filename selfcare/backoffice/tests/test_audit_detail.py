"""An audit entry's detail reads as label: value lines in the staff member's language, never as JSON or a secret."""

from __future__ import annotations

import re

from selfcare.audit.models import AuditEntry
from selfcare.audit.services import audit_record
from selfcare.backoffice.audit_detail import detail_pairs
from selfcare.backoffice.tests.conftest import html, ja
from selfcare.testing import TEST_ACTOR


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_given_a_refused_login_when_its_entry_is_opened_then_the_detail_reads_in_japanese(auditor, world):
    entry = audit_record(
        actor=TEST_ACTOR, action="login.failed", target="acme-tokyo", detail={"step": "password", "reason": "locked"}
    )

    page = html(auditor.get(f"/staff/audit/auditentry/{entry.pk}/change/"))

    text = text_of(page)
    assert "段階: パスワード" in text and "理由: ログイン一時停止中" in text
    assert '"step"' not in page and "&quot;step&quot;" not in page and "reason" not in text


def test_given_the_customer_page_then_its_audit_trail_shows_details_as_label_value_lines(superuser, world):
    page = html(superuser.get(f"/staff/accounts/customer/{world.acme.pk}/change/"))

    text = text_of(page)
    assert "申込番号: " in text and "050番号: 050-0000-0000, 050-0000-0001, 050-0000-0002" in text
    assert "&quot;numbers&quot;" not in page and '{"' not in page


def test_given_an_unknown_key_or_a_secret_looking_one_then_the_first_shows_as_stored_and_the_second_not_at_all():
    pairs = dict(detail_pairs({"new_key": "x", "password": "hunter2", "sip_password_hash": "abc", "count": 3}))

    assert pairs["new_key"] == "x"
    assert "hunter2" not in pairs.values() and "abc" not in pairs.values()
    assert pairs["追加番号数"] == "3"


def test_given_a_customer_change_then_each_field_reads_before_and_after_and_plans_by_name(world):
    pairs = detail_pairs({"contract_name": ["旧商事", "新商事"], "plan": ["basic", "premium"]}, "customer.changed")

    assert pairs == [
        ("契約者名", "旧商事 → 新商事"),
        ("プラン", "ベーシックプラン (basic) → プレミアムプラン (premium)"),
    ]


def test_given_every_action_code_recorded_by_the_test_world_then_no_detail_key_is_left_untranslated(world):
    from selfcare.backoffice.audit_detail import KEY_LABELS

    keys = {key for detail in AuditEntry.objects.values_list("detail", flat=True) for key in detail}
    assert keys <= set(KEY_LABELS), keys - set(KEY_LABELS)


def test_an_empty_list_reads_as_a_dash_not_a_blank():
    from selfcare.backoffice.audit_detail import detail_pairs

    assert [value for _label, value in detail_pairs({"letters_blanked": [], "letters_withdrawn": [6]})] == ["—", "6"]


def test_an_entry_page_is_titled_in_words_not_by_its_stored_code(auditor, world):
    from selfcare.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(action="numbers.cancelled").get()
    page = html(auditor.get(f"/staff/audit/auditentry/{entry.pk}/change/"))
    assert ja("Paper cancellation recorded") in page.split("</title>")[0]
    assert "numbers.cancelled" not in page.split('<div id="content"')[0]  # neither title nor breadcrumbs


# The CSV export reads as the screen does, and opens in Excel ------------------------------------------------


def _export(auditor, ids):
    from selfcare.backoffice.tests.conftest import changelist_action

    response = changelist_action(auditor, "/staff/audit/auditentry/", "export_csv", ids)
    assert response.status_code == 200
    return response


def test_the_audit_csv_starts_with_a_byte_order_mark_so_excel_reads_the_japanese(auditor, world):
    response = _export(auditor, [world.audit_entry.pk])

    body = response.content
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]
    header = body.decode("utf-8-sig").splitlines()[0]
    assert header.startswith(ja("when")) and "詳細" in header


def test_the_audit_csv_writes_the_detail_in_words_and_targets_as_the_screen_does(auditor, world):
    import csv
    import io

    placed = audit_record(
        actor=TEST_ACTOR, action="login.failed", target="acme-tokyo", detail={"step": "password", "reason": "locked"}
    )
    number = audit_record(actor=TEST_ACTOR, action="line.sip_password_reissued", target="05010000007")
    letter = audit_record(actor=TEST_ACTOR, action="letter.posted", target="letter:7")
    cancellation = audit_record(actor=TEST_ACTOR, action="numbers.cancelled", target="cancellation:4")

    response = _export(auditor, [placed.pk, number.pk, letter.pk, cancellation.pk])

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_code = {row[5]: row for row in rows[1:]}
    detail = by_code["login.failed"][8]
    assert "段階: パスワード" in detail and "理由: ログイン一時停止中" in detail
    assert "step" not in detail and "{" not in detail
    assert by_code["line.sip_password_reissued"][7] == "050-1000-0007"
    assert by_code["letter.posted"][7] == "郵送物 No.7"
    assert by_code["numbers.cancelled"][7] == "書面での解約 No.4"


def test_the_audit_list_shows_targets_as_the_csv_writes_them(auditor, world):
    audit_record(actor=TEST_ACTOR, action="line.sip_password_reissued", target="05010000007")
    audit_record(actor=TEST_ACTOR, action="letter.posted", target="letter:7")

    page = html(auditor.get("/staff/audit/auditentry/"))

    assert "050-1000-0007" in page and "郵送物 No.7" in page
    assert ">letter:7<" not in page
