"""print_letters and purge_posted_secrets through call_command."""

from __future__ import annotations

import datetime as dt
import io
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from pypdf import PdfReader

from selfcare.audit.models import AuditEntry
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_mark_posted, letters_print
from selfcare.orders.models import IssuedLine
from selfcare.testing import TEST_ACTOR, CustomerFactory

from .conftest import pdf_text, place


def run(name: str, *args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(name: str, *args: str) -> str:
    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command(name, *args, stdout=StringIO(), stderr=StringIO())
    return str(error.value)


@pytest.fixture
def letters(plan, pool) -> list[Letter]:
    return [place(CustomerFactory(plan=plan), n) for n in (1, 2, 3)]


@pytest.mark.parametrize("name", ["print_letters", "purge_posted_secrets"])
def test_given_a_command_when_asked_for_help_then_usage_and_exit_zero(capsys, name):
    with pytest.raises(SystemExit) as exited:
        call_command(name, "--help")

    assert exited.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_given_unprinted_letters_when_printing_all_then_one_pdf_with_a_page_each(letters, tmp_path):
    letters_print(letter_ids=[letters[0].pk], actor=TEST_ACTOR)
    output = tmp_path / "batch.pdf"

    printed = run("print_letters", "--output", str(output), "--no-progress")

    assert "Wrote 2 letters (2 pages" in printed
    assert str(output) in printed
    pages = pdf_text(output.read_bytes())
    assert len(PdfReader(io.BytesIO(output.read_bytes())).pages) == 2
    assert [
        letters[1].application.application_number in pages[0],
        letters[2].application.application_number in pages[1],
    ] == [True, True]
    assert [Letter.objects.get(pk=letter.pk).print_count for letter in letters] == [1, 1, 1]
    assert AuditEntry.objects.filter(action="letter.printed", actor_label="print_letters").count() == 2
    assert output.stat().st_mode & 0o077 == 0  # passwords inside: readable by the operator only
    assert list(tmp_path.iterdir()) == [output]


def test_given_a_terminal_when_printing_then_a_progress_bar_counts_the_letters(letters, tmp_path, monkeypatch):
    from selfcare.letters.management.commands import print_letters

    drawn = StringIO()
    real_tqdm = print_letters.tqdm
    monkeypatch.setattr(print_letters, "tqdm", lambda **kw: real_tqdm(**{**kw, "disable": False, "file": drawn}))

    run("print_letters", "--all-unprinted", "--output", str(tmp_path / "a.pdf"))

    assert "3/3" in drawn.getvalue()
    assert "letters" in drawn.getvalue()


def test_given_chosen_letters_when_printing_then_only_those(letters, tmp_path):
    output = tmp_path / "two.pdf"

    printed = run(
        "print_letters", "--letter", str(letters[2].pk), str(letters[0].pk), "--output", str(output), "--no-progress"
    )

    assert "Wrote 2 letters (2 pages" in printed
    assert [Letter.objects.get(pk=letter.pk).print_count for letter in letters] == [1, 0, 1]


def test_given_a_printed_letter_when_reprinting_without_a_reason_then_a_clear_error_and_no_file(letters, tmp_path):
    letters_print(letter_ids=[letters[0].pk], actor=TEST_ACTOR)
    output = tmp_path / "again.pdf"

    message = refused("print_letters", "--letter", str(letters[0].pk), "--output", str(output), "--no-progress")

    assert str(letters[0].pk) in message
    assert "reason" in message
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []
    assert Letter.objects.get(pk=letters[0].pk).print_count == 1


def test_given_a_reason_when_reprinting_then_written_and_audited(letters, tmp_path):
    letters_print(letter_ids=[letters[0].pk], actor=TEST_ACTOR)
    output = tmp_path / "again.pdf"

    printed = run(
        "print_letters",
        "--letter",
        str(letters[0].pk),
        "--output",
        str(output),
        "--reprint-reason",
        "紛失",
        "--no-progress",
    )

    assert "Wrote 1 letters (1 pages" in printed
    assert AuditEntry.objects.get(action="letter.reprinted").detail["reason"] == "紛失"


def test_given_nothing_unprinted_when_printing_all_then_says_so_and_writes_nothing(db, tmp_path):
    output = tmp_path / "none.pdf"

    assert "No unprinted letters" in run("print_letters", "--output", str(output), "--no-progress")
    assert not output.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--letter", "987654"], "No such letters: 987654"),
        (["--output", "{tmp}/missing-dir/x.pdf"], "does not exist"),
        (["--output", "{tmp}/exists.pdf"], "already exists"),
    ],
    ids=["unknown-letter", "missing-dir", "existing-file"],
)
def test_given_bad_input_when_printing_then_a_clear_error(letters, tmp_path, args, expected):
    (tmp_path / "exists.pdf").write_bytes(b"keep me")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--output" not in args:
        args += ["--output", str(tmp_path / "out.pdf")]

    assert expected in refused("print_letters", *args, "--no-progress")
    assert (tmp_path / "exists.pdf").read_bytes() == b"keep me"
    assert not Letter.objects.filter(print_count__gt=0).exists()


def test_given_an_existing_file_and_force_when_printing_then_replaced(letters, tmp_path):
    output = tmp_path / "exists.pdf"
    output.write_bytes(b"old")

    run("print_letters", "--output", str(output), "--force", "--no-progress")

    assert output.read_bytes().startswith(b"%PDF")


def test_given_no_output_when_printing_then_argparse_refuses(letters):
    assert "--output" in refused("print_letters")


def test_given_letters_posted_30_days_ago_when_the_daily_purge_runs_then_it_prints_the_count(letters):
    letters_print(letter_ids=[letters[1].pk, letters[2].pk], actor=TEST_ACTOR)
    letters_mark_posted(letter_ids=[letters[1].pk, letters[2].pk], actor=TEST_ACTOR)

    with time_machine.travel(dt.timedelta(days=30, seconds=1), tick=False):
        first = run("purge_posted_secrets")
        second = run("purge_posted_secrets")

    assert "Destroyed the stored passwords of 5 numbers" in first
    assert "Destroyed the stored passwords of 0 numbers" in second
    assert IssuedLine.objects.filter(secrets_destroyed_at__isnull=False).count() == 5
    assert AuditEntry.objects.filter(action="secrets.purged", actor_label="purge_posted_secrets").count() == 2
