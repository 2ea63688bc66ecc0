"""A letter whose posting was stopped (発送中止) is refused at the first step of 発送済みにする and of printing, naming
it, never after a confirmation or a reprint's reason; its page tells the operator to shred a printed sheet."""

from __future__ import annotations

import pytest

from selfcare.backoffice.tests.conftest import html, ja, messages_of
from selfcare.backoffice.tests.test_password_letter_stopped import asked, change_password  # noqa: F401 - fixture
from selfcare.letters.errors import LetterWithdrawn
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_print
from selfcare.testing import TEST_ACTOR

LETTERS_URL = "/staff/letters/letter/"


@pytest.fixture
def printed_then_stopped(asked, mailoutbox):  # noqa: F811
    customer, letter = asked
    letters_print(letter_ids=[letter.pk], actor=TEST_ACTOR)
    change_password(customer, mailoutbox)
    letter.refresh_from_db()
    assert letter.withdrawn_at is not None and letter.print_count == 1 and letter.posted_at is None
    return letter


def _action(staff, action: str, letter: Letter):
    data = {"action": action, "_selected_action": [str(letter.pk)], "index": "0"}
    return staff.client.post(LETTERS_URL, data, follow=True)


def _refusal(letter: Letter) -> str:
    return str(LetterWithdrawn(ids=str(letter.pk)))


def test_marking_a_stopped_letter_posted_is_refused_before_the_confirmation(customer_centre, printed_then_stopped):
    letter = printed_then_stopped
    response = _action(customer_centre, "mark_posted", letter)
    page = html(response)
    assert ja("Mark these letters as posted?") not in page
    assert _refusal(letter) in messages_of(response)
    letter.refresh_from_db()
    assert letter.posted_at is None


def test_reprinting_a_stopped_letter_is_refused_before_asking_a_reason(customer_centre, printed_then_stopped):
    letter = printed_then_stopped
    response = _action(customer_centre, "print_letters", letter)
    assert ja("Print letters again") not in html(response)
    assert _refusal(letter) in messages_of(response)


def test_the_page_of_a_printed_stopped_letter_says_to_shred_the_sheet(customer_centre, printed_then_stopped):
    page = html(customer_centre.get(f"{LETTERS_URL}{printed_then_stopped.pk}/change/"))
    assert (
        ja(
            "Posting of this letter was stopped: the password it carries no longer works. It was printed: shred the "
            "printed sheet, and do not post it."
        )
        in page
    )
    assert "シュレッダー" in page


def test_the_page_of_an_unprinted_stopped_letter_says_not_to_print_it(customer_centre, asked, mailoutbox):  # noqa: F811
    customer, letter = asked
    change_password(customer, mailoutbox)
    page = html(customer_centre.get(f"{LETTERS_URL}{letter.pk}/change/"))
    assert "印刷・郵送しないでください" in page and "シュレッダー" not in page


def test_the_list_gives_when_posting_stopped_as_every_other_time(customer_centre, printed_then_stopped):
    from django.utils import formats, timezone

    page = html(customer_centre.get(LETTERS_URL, {"posted": "stopped"}))
    shown = formats.localize(timezone.localtime(printed_then_stopped.withdrawn_at))
    import re

    cell = re.search(r'<td class="field-posting_stopped">(.*?)</td>', page, re.S)
    assert cell and cell.group(1).startswith(shown) and "年" in shown, (cell and cell.group(1), shown)
