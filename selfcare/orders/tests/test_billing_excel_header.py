"""The Excel layout of the billing CSV is read by people: its header row is in Japanese. The billing system's
layout keeps the field names its import reads."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO

from django.utils import translation

from selfcare.orders.billing import CSV_HEADER, billing_csv

EXCEL_HEADER_JA = [
    "セルフケアID",
    "契約者名",
    "050番号",
    "プランコード",
    "1番号あたり月額料金(円・税込)",
    "利用開始日",
    "利用終了日",
    "利用日数",
    "当月の日数",
    "請求額(円・税込)",
]


def header_of(excel: bool) -> list[str]:
    out = StringIO(newline="")
    with translation.override("ja"):
        billing_csv(month=dt.date(2026, 4, 1), stream=out, excel=excel)
    return next(csv.reader(StringIO(out.getvalue().removeprefix("\ufeff"))))


def test_given_the_excel_layout_then_the_header_row_is_japanese(db):
    assert header_of(excel=True) == EXCEL_HEADER_JA


def test_given_the_billing_system_layout_then_the_header_row_keeps_the_field_names(db):
    assert header_of(excel=False) == list(CSV_HEADER)
    assert CSV_HEADER[:3] == ("selfcare_id", "contract_name", "number")
