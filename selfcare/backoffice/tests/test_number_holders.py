"""Searching the customers by a 050 number finds everyone who held it: the list says who holds it now."""

from __future__ import annotations

import datetime as dt
import re

from selfcare.backoffice.tests.conftest import html, ja
from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.services import numbers_add, numbers_cancel
from selfcare.testing import TEST_ACTOR

CUSTOMERS = "/staff/accounts/customer/"


def _holding(page: str) -> dict[str, str]:
    """Each row's self-care ID and what its "the number searched" cell says."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    found = {}
    for row in rows:
        cell = re.search(r'<td class="field-number_holding">(.*?)</td>', row, flags=re.S)
        selfcare_id = re.search(r'<th class="field-selfcare_id"><a [^>]*>([^<]+)</a>', row)
        if cell and selfcare_id:
            found[selfcare_id[1]] = re.sub(r"<[^>]+>", "", cell[1]).strip()
    return found


def test_given_a_number_held_before_and_now_then_the_list_marks_the_current_and_the_past_holder(customer_centre, world):
    # Acme's 050-0000-0002 took effect as cancelled today; once issuable again, Beta is given it.
    PhoneNumber.objects.filter(pk="05000000002").update(available_from=clock.today() - dt.timedelta(days=3650))
    numbers_add(customer_id=world.beta.pk, count=1, idempotency_key="beta-again", actor=TEST_ACTOR)
    assert world.beta.lines.filter(number_id="05000000002").exists()

    page = html(customer_centre.get(CUSTOMERS, {"q": "050-0000-0002"}))

    today = clock.today().isoformat()
    assert _holding(page) == {
        world.beta.selfcare_id: ja("current holder"),
        "acme-tokyo": ja("past holder (cancelled from %(date)s)", date=today),
    }
    assert ja("the number searched") in page


def test_given_a_cancellation_not_yet_in_effect_then_its_customer_is_still_the_current_holder(customer_centre, world):
    effective = clock.today() + dt.timedelta(days=10)
    numbers_cancel(
        customer_id=world.beta.pk,
        numbers=["05000000003"],
        received_on=clock.today(),
        effective_on=effective,
        actor=TEST_ACTOR,
    )

    page = html(customer_centre.get(CUSTOMERS, {"q": "05000000003"}))

    assert _holding(page) == {
        world.beta.selfcare_id: ja("current holder (cancelled from %(date)s)", date=effective.isoformat())
    }


def test_other_searches_show_no_such_column(customer_centre, world):
    for q in ("acme", "050-0000", ""):
        page = html(customer_centre.get(CUSTOMERS, {"q": q}))
        assert "field-number_holding" not in page, q
