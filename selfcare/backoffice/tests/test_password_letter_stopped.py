"""A forgotten-password letter stopped by a password change is never silent (rules.md, *forgotten password*): the
customer reads it on the completion page and in the e-mail; staff see the letter in the queue, stopped, and why."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from selfcare.backoffice.tests.conftest import html, ja
from selfcare.letters.errors import LetterWithdrawn
from selfcare.letters.models import Letter
from selfcare.letters.selectors import letters_unprinted_ids, letters_waiting
from selfcare.letters.services import letters_mark_posted, letters_print
from selfcare.portal.tests.conftest import PASSWORD, log_in
from selfcare.testing import TEST_ACTOR, CustomerFactory, UserFactory, jobs_run

NEW_PASSWORD = "a brand new password chosen meanwhile"
WITHDRAWN = (
    "The letter with a new initial password that you asked for has not been posted yet and will not be: "
    "we have stopped it. Log in with the password you have just set."
)
POSTED = (
    "The letter with a new initial password that you asked for has already been posted: the password in it "
    "no longer works. Log in with the password you have just set."
)


def in_japanese(message: str) -> str:
    with translation.override("ja"):
        return gettext(message)


@pytest.fixture
def asked(db, plan):
    """A customer who asked for a new initial password by post: the letter is queued, not yet printed."""
    customer = CustomerFactory(plan=plan, user=UserFactory(username="gamma-osaka", email="it@gamma.example"))
    customer.user.set_password(PASSWORD)
    customer.user.save()
    Client().post("/login/forgotten/", {"selfcare_id": customer.selfcare_id, "email": customer.email})
    letter = Letter.objects.get(customer=customer, kind=Letter.Kind.SELFCARE_CREDENTIALS)
    return customer, letter


def change_password(customer, mailoutbox) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    log_in(client, customer, mailoutbox)
    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    jobs_run()
    return response.content.decode()


def test_a_letter_not_yet_posted_is_stopped_and_everyone_is_told(asked, mailoutbox, customer_centre):
    customer, letter = asked
    assert letter.pk in letters_unprinted_ids()

    page = change_password(customer, mailoutbox)

    assert in_japanese(WITHDRAWN) in page
    assert in_japanese(POSTED) not in page
    notice = mailoutbox[-1]
    assert notice.to == [customer.email] and in_japanese(WITHDRAWN) in notice.body
    # The letter stays in the queue, stopped, its password destroyed; it is never printed or posted.
    letter.refresh_from_db()
    assert letter.withdrawn_at is not None and letter.withdrawn_reason == Letter.Withdrawal.PASSWORD_CHANGED
    assert letter.secret_encrypted == ""
    assert letter.pk not in letters_unprinted_ids() and letters_waiting() == (0, 0)
    with pytest.raises(LetterWithdrawn):
        letters_print(letter_ids=[letter.pk], actor=TEST_ACTOR)
    with pytest.raises(LetterWithdrawn):
        letters_mark_posted(letter_ids=[letter.pk], actor=TEST_ACTOR)
    # Staff find it under 発送中止 with the reason, and not among the letters waiting to be posted.
    stopped = html(customer_centre.get("/staff/letters/letter/", {"posted": "stopped"}))
    row = re.search(
        rf'<a href="/staff/letters/letter/{letter.pk}/change/[^"]*">{letter.pk}</a></th>(.*?)</tr>', stopped, re.S
    )
    assert row and ja("the customer changed their password") in row.group(1)
    waiting = html(customer_centre.get("/staff/letters/letter/", {"posted": "no"}))
    assert f"/staff/letters/letter/{letter.pk}/change/" not in waiting


def test_a_letter_already_posted_is_said_to_no_longer_work(asked, mailoutbox):
    customer, letter = asked
    letters_print(letter_ids=[letter.pk], actor=TEST_ACTOR)
    letters_mark_posted(letter_ids=[letter.pk], actor=TEST_ACTOR)

    page = change_password(customer, mailoutbox)

    assert in_japanese(POSTED) in page and in_japanese(WITHDRAWN) not in page
    assert in_japanese(POSTED) in mailoutbox[-1].body
    letter.refresh_from_db()
    assert letter.withdrawn_at is None and letter.secret_encrypted == ""  # posted: kept as posted, password gone


def test_without_a_letter_waiting_the_completion_says_nothing_of_letters(db, plan, mailoutbox):
    customer = CustomerFactory(plan=plan)
    customer.user.set_password(PASSWORD)
    customer.user.save()

    page = change_password(customer, mailoutbox)

    assert in_japanese(WITHDRAWN) not in page and in_japanese(POSTED) not in page
    assert in_japanese(WITHDRAWN) not in mailoutbox[-1].body
