"""The monthly billing export (rules.md, *monthly fee*): who held which number on which days, and for how much."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from selfcare.accounts.models import Plan
from selfcare.orders.billing import CSV_HEADER, BillingRow, billing_csv, billing_rows
from selfcare.orders.services import numbers_cancel
from selfcare.testing import (
    TEST_ACTOR,
    CustomerFactory,
    UserFactory,
    at_tokyo,
    cancel_at_tokyo,
    issue_at_tokyo,
    pool_add,
)

D = dt.date
FEE = 330  # PlanFactory's basic plan


def rows(month: dt.date) -> list[BillingRow]:
    return list(billing_rows(month=month))


def only_row(month: dt.date) -> BillingRow:
    [row] = rows(month)
    return row


@pytest.fixture(autouse=True)
def numbers(db):
    """The pool: 20 numbers, issuable since 2025-01-01."""
    with at_tokyo(D(2025, 1, 1)):
        return pool_add("05000000000", 20, available_from=D(2025, 1, 1))


# --- how much of the month was held ------------------------------------------------------------------


def test_given_a_line_held_all_month_when_billing_then_the_whole_fee(customer):
    [number] = issue_at_tokyo(customer, D(2026, 3, 20))

    row = only_row(D(2026, 4, 1))

    assert row == BillingRow(
        selfcare_id=customer.selfcare_id,
        contract_name=customer.contract_name,
        number=number,
        plan_code="basic",
        monthly_fee_per_number=FEE,
        held_from=D(2026, 4, 1),
        held_until=D(2026, 4, 30),
        days_held=30,
        days_in_month=30,
        amount=FEE,
    )


def test_given_a_line_added_on_the_10th_of_a_30_day_month_when_billing_then_21_days(customer):
    issue_at_tokyo(customer, D(2026, 4, 10))

    row = only_row(D(2026, 4, 1))

    assert (row.held_from, row.held_until) == (D(2026, 4, 10), D(2026, 4, 30))
    assert (row.days_held, row.days_in_month) == (21, 30)
    assert row.amount == FEE * 21 // 30 == 231


def test_given_a_line_cancelled_from_the_16th_when_billing_then_15_days(customer):
    numbers = issue_at_tokyo(customer, D(2026, 2, 3))
    cancel_at_tokyo(numbers, effective_on=D(2026, 4, 16), days_notice=1)

    row = only_row(D(2026, 4, 1))

    assert (row.held_from, row.held_until) == (D(2026, 4, 1), D(2026, 4, 15))
    assert row.days_held == 15
    assert row.amount == FEE * 15 // 30 == 165


def test_given_a_line_added_and_cancelled_in_the_same_month_when_billing_then_the_days_between(customer):
    numbers = issue_at_tokyo(customer, D(2026, 4, 10))
    cancel_at_tokyo(numbers, effective_on=D(2026, 4, 16), days_notice=1)

    row = only_row(D(2026, 4, 1))

    assert (row.held_from, row.held_until, row.days_held) == (D(2026, 4, 10), D(2026, 4, 15), 6)
    assert row.amount == FEE * 6 // 30 == 66


@pytest.mark.parametrize(
    ("effective_on", "last_day_billed"),
    [(D(2026, 3, 20), D(2026, 3, 19)), (D(2026, 4, 1), D(2026, 3, 31))],
)
def test_given_a_line_cancelled_before_the_month_when_billing_then_it_is_absent(
    customer, effective_on, last_day_billed
):
    numbers = issue_at_tokyo(customer, D(2026, 2, 3))
    cancel_at_tokyo(numbers, effective_on=effective_on, days_notice=1)

    assert rows(D(2026, 4, 1)) == []
    # The month it ended in is still billed, up to the day before the cancellation took effect.
    assert only_row(D(2026, 3, 1)).held_until == last_day_billed


def test_given_a_line_cancelled_from_the_first_when_billing_the_month_before_then_the_whole_month(customer):
    numbers = issue_at_tokyo(customer, D(2026, 2, 3))
    cancel_at_tokyo(numbers, effective_on=D(2026, 4, 1), days_notice=1)

    row = only_row(D(2026, 3, 1))

    assert (row.held_from, row.held_until, row.days_held, row.amount) == (D(2026, 3, 1), D(2026, 3, 31), 31, FEE)


def test_given_a_line_issued_after_the_month_when_billing_then_it_is_absent(customer):
    issue_at_tokyo(customer, D(2026, 5, 2))

    assert rows(D(2026, 4, 1)) == []
    assert only_row(D(2026, 5, 1)).held_from == D(2026, 5, 2)


def test_given_an_issue_at_half_past_midnight_tokyo_when_billing_then_it_counts_in_the_tokyo_month(customer):
    # 2026-03-01 00:30 in Tokyo is 2026-02-28 15:30 in UTC.
    issue_at_tokyo(customer, D(2026, 3, 1), hour=0, minute=30)

    assert rows(D(2026, 2, 1)) == []
    row = only_row(D(2026, 3, 1))
    assert (row.held_from, row.days_held, row.amount) == (D(2026, 3, 1), 31, FEE)


def test_given_an_issue_early_on_the_10th_tokyo_when_billing_then_held_from_the_tokyo_date(customer):
    # 2026-04-10 00:30 in Tokyo is 2026-04-09 15:30 in UTC.
    issue_at_tokyo(customer, D(2026, 4, 10), hour=0, minute=30)

    row = only_row(D(2026, 4, 1))

    assert (row.held_from, row.days_held, row.amount) == (D(2026, 4, 10), 21, 231)


def test_given_an_issue_a_minute_before_midnight_tokyo_when_billing_then_one_day_of_that_month(customer):
    issue_at_tokyo(customer, D(2026, 4, 30), hour=23, minute=59)

    row = only_row(D(2026, 4, 1))

    assert (row.held_from, row.held_until, row.days_held) == (D(2026, 4, 30), D(2026, 4, 30), 1)
    assert row.amount == FEE * 1 // 30 == 11


def test_given_february_of_a_leap_year_when_billing_then_29_days(customer):
    issue_at_tokyo(customer, D(2028, 1, 15))
    issue_at_tokyo(customer, D(2028, 2, 10))

    held_all_month, added_on_the_10th = rows(D(2028, 2, 1))

    assert (held_all_month.days_held, held_all_month.days_in_month, held_all_month.amount) == (29, 29, FEE)
    assert held_all_month.held_until == D(2028, 2, 29)
    assert (added_on_the_10th.days_held, added_on_the_10th.days_in_month) == (20, 29)
    assert added_on_the_10th.amount == FEE * 20 // 29 == 227


def test_given_a_line_cancelled_on_the_day_it_was_issued_when_billing_then_it_is_absent(customer):
    numbers = issue_at_tokyo(customer, D(2026, 4, 10))
    with at_tokyo(D(2026, 4, 10), 15):
        numbers_cancel(numbers=numbers, received_on=D(2026, 4, 10), actor=TEST_ACTOR)

    assert rows(D(2026, 4, 1)) == []


def test_given_any_day_of_the_month_when_billing_then_the_calendar_month_containing_it(customer):
    issue_at_tokyo(customer, D(2026, 4, 10))

    assert rows(D(2026, 4, 30)) == rows(D(2026, 4, 1))
    assert only_row(D(2026, 4, 17)).held_from == D(2026, 4, 10)


# --- the fee and the order ---------------------------------------------------------------------------


def test_given_the_customer_moved_to_another_plan_when_billing_then_the_current_plans_fee(customer):
    issue_at_tokyo(customer, D(2026, 3, 20))
    customer.plan = Plan.objects.create(code="premium", name="プレミアム", monthly_fee_per_number=550)
    customer.save(update_fields=["plan"])

    row = only_row(D(2026, 4, 1))

    assert (row.plan_code, row.monthly_fee_per_number, row.amount) == ("premium", 550, 550)


def test_given_the_plans_fee_changed_when_billing_then_the_new_fee(customer):
    issue_at_tokyo(customer, D(2026, 4, 10))
    Plan.objects.filter(pk=customer.plan_id).update(monthly_fee_per_number=600)

    row = only_row(D(2026, 4, 1))

    assert (row.monthly_fee_per_number, row.amount) == (600, 600 * 21 // 30)


def test_given_several_customers_when_billing_then_by_selfcare_id_then_number_in_one_query(
    django_assert_num_queries,
):
    zulu = CustomerFactory(user=UserFactory(username="zulu-corp"))
    alpha = CustomerFactory(user=UserFactory(username="alpha-corp"))
    zulu_numbers = issue_at_tokyo(zulu, D(2026, 3, 2), count=3)
    alpha_first = issue_at_tokyo(alpha, D(2026, 3, 3), count=2)
    alpha_later = issue_at_tokyo(alpha, D(2026, 3, 4), count=2)

    with django_assert_num_queries(1):
        billed = [(row.selfcare_id, row.number) for row in rows(D(2026, 4, 1))]

    assert billed == [("alpha-corp", n) for n in sorted(alpha_first + alpha_later)] + [
        ("zulu-corp", n) for n in zulu_numbers
    ]


# --- CSV and the command -----------------------------------------------------------------------------


def test_given_lines_when_writing_csv_then_a_header_and_one_row_each(customer):
    numbers = issue_at_tokyo(customer, D(2026, 4, 10), count=2)
    out = StringIO(newline="")

    written = billing_csv(month=D(2026, 4, 1), stream=out)

    assert written == 2
    table = list(csv.reader(StringIO(out.getvalue())))
    assert table[0] == list(CSV_HEADER)
    assert table[0] == [
        "selfcare_id",
        "contract_name",
        "number",
        "plan_code",
        "monthly_fee_per_number",
        "held_from",
        "held_until",
        "days_held",
        "days_in_month",
        "amount",
    ]
    assert table[1:] == [
        [customer.selfcare_id, customer.contract_name, n, "basic", "330", "2026-04-10", "2026-04-30", "21", "30", "231"]
        for n in numbers
    ]


def test_given_a_contract_name_with_commas_and_quotes_when_writing_csv_then_it_reads_back_intact(db):
    name = '株式会社"テスト", 本社'
    customer = CustomerFactory(contract_name=name)
    issue_at_tokyo(customer, D(2026, 4, 10))
    out = StringIO()

    billing_csv(month=D(2026, 4, 1), stream=out)

    assert next(iter(csv.DictReader(StringIO(out.getvalue()))))["contract_name"] == name


def export(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("export_billing", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_given_lines_when_exporting_to_stdout_then_csv_there_and_the_count_on_stderr(customer):
    numbers = issue_at_tokyo(customer, D(2026, 4, 10), count=3)

    printed, reported = export("--month", "2026-04")

    table = list(csv.reader(StringIO(printed)))
    assert table[0] == list(CSV_HEADER)
    assert [row[2] for row in table[1:]] == numbers
    assert "Wrote 3 billing rows for 2026-04" in reported


def test_given_an_output_file_when_exporting_then_the_file_holds_the_csv(customer, tmp_path):
    [number] = issue_at_tokyo(customer, D(2026, 3, 20))
    target = tmp_path / "billing-2026-04.csv"

    printed, reported = export("--month", "2026-04", "--output", str(target))

    assert printed == ""
    assert "Wrote 1 billing rows" in reported
    with target.open(encoding="utf-8", newline="") as stream:
        table = list(csv.reader(stream))
    whole_month = ["basic", "330", "2026-04-01", "2026-04-30", "30", "30", "330"]
    assert table == [list(CSV_HEADER), [customer.selfcare_id, customer.contract_name, number, *whole_month]]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no partial file left behind
    assert target.stat().st_mode & 0o777 == 0o600  # customers' names and numbers: the owner's only


def test_given_a_month_without_lines_when_exporting_then_only_the_header(db):
    printed, reported = export("--month", "2026-04")

    assert list(csv.reader(StringIO(printed))) == [list(CSV_HEADER)]
    assert "Wrote 0 billing rows" in reported


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "abc", "2026-4", "2026/04", "2026-04-01", ""])
def test_given_a_bad_month_when_exporting_then_a_clear_command_error(db, month):
    with pytest.raises(CommandError, match="YYYY-MM"):
        export("--month", month)


def test_given_no_month_when_exporting_then_a_command_error(db):
    with pytest.raises(CommandError, match="--month"):
        export()


def test_given_an_unwritable_output_when_exporting_then_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        export("--month", "2026-04", "--output", str(tmp_path / "missing-directory" / "billing.csv"))


def test_given_a_contract_name_a_spreadsheet_would_run_when_exported_then_it_is_text(db):
    customer = CustomerFactory(contract_name="=cmd|' /C calc'!A0", user=UserFactory(username="formula01"))
    issue_at_tokyo(customer, D(2025, 3, 1))
    stream = StringIO()

    billing_csv(month=D(2025, 3, 1), stream=stream)

    [header, row] = list(csv.reader(StringIO(stream.getvalue())))
    assert row[header.index("contract_name")] == "'=cmd|' /C calc'!A0"
    assert row[header.index("number")].startswith("050")


# --- the layout for Excel ------------------------------------------------------------------------------


def test_given_the_excel_layout_when_writing_csv_then_a_bom_and_numbers_excel_keeps_as_text(customer):
    numbers = issue_at_tokyo(customer, D(2026, 4, 10), count=2)
    out = StringIO(newline="")

    written = billing_csv(month=D(2026, 4, 1), stream=out, excel=True)

    text = out.getvalue()
    assert written == 2
    assert text.startswith("\ufeffセルフケアID,")  # the Excel layout's header is in Japanese
    table = list(csv.reader(StringIO(text.removeprefix("\ufeff"))))
    shown = [row[2] for row in table[1:]]
    assert shown == [f"{n[:3]}-{n[3:7]}-{n[7:]}" for n in numbers]  # 050-0000-0000: text in Excel, the 0 kept
    assert all(cell[:1] not in "=+-@\t\r'" for row in table for cell in row if cell)  # no formula, no marker
    assert text.encode("utf-8")[:3] == b"\xef\xbb\xbf"


def test_given_the_billing_system_layout_then_no_bom_and_bare_digits(customer):
    numbers = issue_at_tokyo(customer, D(2026, 4, 10))
    out = StringIO(newline="")

    billing_csv(month=D(2026, 4, 1), stream=out)

    assert out.getvalue().startswith("selfcare_id,")
    assert list(csv.reader(StringIO(out.getvalue())))[1][2] == numbers[0]


def test_given_excel_when_exporting_to_a_file_then_the_excel_layout(customer, tmp_path):
    issue_at_tokyo(customer, D(2026, 4, 10))
    target = tmp_path / "billing.csv"

    export("--month", "2026-04", "--output", str(target), "--excel")

    data = target.read_bytes()
    assert data.startswith("\ufeffセルフケアID,".encode()) and b"050-0000-0000" in data


def test_given_the_export_command_when_it_has_written_the_month_then_the_export_is_in_the_audit_log(customer, tmp_path):
    from selfcare.audit.models import AuditEntry

    issue_at_tokyo(customer, D(2026, 3, 20), count=2)

    export("--month", "2026-04", "--output", str(tmp_path / "billing.csv"))

    entry = AuditEntry.objects.get(action="billing.exported")
    assert entry.target == "2026-04" and entry.actor_label == "export_billing"
    assert entry.detail == {"layout": "system"}


def test_given_an_export_that_cannot_be_written_then_it_is_not_on_record(db, tmp_path):
    from selfcare.audit.models import AuditEntry

    with pytest.raises(CommandError):
        export("--month", "2026-04", "--output", str(tmp_path / "missing-directory" / "billing.csv"))

    assert not AuditEntry.objects.filter(action="billing.exported").exists()
