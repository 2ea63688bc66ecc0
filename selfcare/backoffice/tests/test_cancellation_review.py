"""Recording a paper cancellation, as the staff walk found it: a number cancelled with effect on its issue day is
warned of (it was held on no day and is not billed: rules.md, *monthly fee*) and shows no last day of use before
its issue; a refusal says of each number why (already cancelled and from when, or not this customer's), numbers
written 050-xxxx-xxxx; 戻る refills the numbers as written, not as 11 digits."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from selfcare.backoffice.tests.conftest import error_list_text, form_data, html, ja
from selfcare.core import clock
from selfcare.orders.errors import FormReceivedBeforeIssue, NumbersNotHeld
from selfcare.orders.services import numbers_cancel
from selfcare.testing import TEST_ACTOR

URL = "/staff/orders/cancellation/add/"
NONE_SAME_DAY = "なし（払い出し当日に解約）"


def test_a_number_cancelled_on_its_issue_day_is_warned_of_and_has_no_last_day(customer_centre, world):
    today = clock.today()  # the world's numbers were issued today; 解約日 left blank: the day received
    response = customer_centre.post(
        URL, {"customer": "acme-tokyo", "numbers": "050-0000-0000", "received_on": today.isoformat()}
    )
    page = html(response)
    assert ja("Confirm the paper cancellation") in page, error_list_text(response)
    assert (
        ja(
            "Issued on the day this cancellation takes effect: %(numbers)s. Cancelled with effect on their issue day, "
            "these numbers were usable on no day and are not billed. Check the dates against the paper form.",
            numbers="050-0000-0000",
        )
        in page
    )
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert yesterday not in page  # no last day of use before the issue
    row = re.search(r"<td class=\"nowrap\"[^>]*>050-0000-0000</td>(.*?)</tr>", page, flags=re.S)
    assert row and NONE_SAME_DAY in row.group(1)
    assert re.search(rf"<th[^>]*>最終利用日</th>\s*<td[^>]*>{NONE_SAME_DAY}</td>", page)


def test_a_later_cancellation_has_no_such_warning(customer_centre, world):
    today = clock.today()
    effective = today + dt.timedelta(days=5)
    page = html(
        customer_centre.post(
            URL,
            {
                "customer": "acme-tokyo",
                "numbers": "050-0000-0000",
                "received_on": today.isoformat(),
                "effective_on": effective.isoformat(),
            },
        )
    )
    assert "same-day-note" not in page and NONE_SAME_DAY not in page


def test_a_refusal_says_of_each_number_why(customer_centre, world):
    today = clock.today()
    response = customer_centre.post(
        URL,
        {
            "customer": "acme-tokyo",
            "numbers": "05000000002 05000000003 050-0000-0000",
            "received_on": today.isoformat(),
        },
    )
    errors = error_list_text(response)
    cancelled = ja("%(number)s (already cancelled, from %(day)s)", number="050-0000-0002", day=today.isoformat())
    not_theirs = ja("%(number)s (not this customer's number)", number="050-0000-0003")
    assert (
        ja("These numbers cannot be cancelled for this customer: %(numbers)s", numbers=f"{cancelled}, {not_theirs}")
        in errors
    )
    assert "05000000002" not in errors and "05000000003" not in errors


def test_back_refills_the_numbers_as_written(customer_centre, world):
    today = clock.today().isoformat()
    shown = customer_centre.post(
        URL, {"customer": "acme-tokyo", "numbers": "05000000000,05000000001", "received_on": today}
    )
    data = form_data(shown, None)
    assert data["numbers"] == "050-0000-0000 050-0000-0001"
    data.pop("csrfmiddlewaretoken", None)
    back = customer_centre.post(URL, {**data, "back": "1"})
    assert "050-0000-0000 050-0000-0001" in html(back) and "05000000000" not in form_data(back, None)["numbers"]


def test_the_service_names_every_number_issued_after_the_form(world):
    yesterday = clock.today() - dt.timedelta(days=1)
    with pytest.raises(FormReceivedBeforeIssue) as refused:
        numbers_cancel(
            customer_id=world.acme.pk, numbers=["05000000000", "05000000001"], received_on=yesterday, actor=TEST_ACTOR
        )
    assert "050-0000-0000" in str(refused.value) and "050-0000-0001" in str(refused.value)
    with pytest.raises(NumbersNotHeld) as not_held:
        numbers_cancel(
            customer_id=world.acme.pk,
            numbers=["05000000002", "05000000003"],
            received_on=clock.today(),
            actor=TEST_ACTOR,
        )
    assert "050-0000-0002" in str(not_held.value) and "050-0000-0003" in str(not_held.value)
