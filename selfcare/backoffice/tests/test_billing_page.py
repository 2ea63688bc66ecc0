"""The billing export page: a month picker set to last month, a button that says what it does, a file Excel opens."""

from __future__ import annotations

import csv
import io
import re

import time_machine
from django.utils import timezone

from selfcare.backoffice.tests.conftest import audit, form_data, html, ja
from selfcare.core import clock
from selfcare.testing import tokyo_time

URL = "/staff/orders/application/billing/"


def test_the_page_offers_a_month_picker_set_to_last_month_and_a_download_button(sales, world):
    with time_machine.travel("2026-01-15 10:00 +09:00", tick=False):
        page = sales.get(URL)

    text = html(page)
    assert re.search(r'<input type="month" name="month" value="2025-12"', text), text
    assert f'value="{ja("Download the billing CSV")}"' in text
    assert f'value="{ja("Save")}"' not in text
    assert ja("Excel (UTF-8 with BOM, numbers as 050-1234-5678 so the leading 0 stays)") in text


def test_given_the_page_as_shown_when_submitted_then_last_months_csv_for_the_billing_system(sales, world):
    page = sales.get(URL)
    data = form_data(page)

    response = sales.post(URL, data)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert not response.content.startswith(b"\xef\xbb\xbf")
    assert audit("billing.exported").get().detail == {"layout": "system"}


def test_given_excel_when_exported_then_a_bom_and_numbers_that_stay_text(make_staff, world):
    placed = timezone.localtime(world.acme_application.placed_at)
    month = placed.strftime("%Y-%m")

    with time_machine.travel(tokyo_time(clock.add_months(placed.date().replace(day=1), 1), 10), tick=False):
        response = make_staff("sales").post(URL, {"month": month, "layout": "excel"})  # once the month is over

    assert response.content.startswith("\ufeffセルフケアID,".encode())
    assert response["Content-Disposition"] == f'attachment; filename="billing-{month}-excel.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "050-0000-0000" in [row[2] for row in rows[1:]]
    assert not [cell for row in rows for cell in row if cell[:1] in {"=", "+", "@", "\t", "'"}]
