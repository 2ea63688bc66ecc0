"""The number inventory shows each number's real state (free, held, in quarantine until a date) and filters by it."""

from __future__ import annotations

import datetime as dt
import re

from selfcare.backoffice.tests.conftest import html, ja
from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.services import quarantine_end
from selfcare.testing import pool_add

LIST_URL = "/staff/inventory/phonenumber/"


def rows(response) -> dict[str, str]:
    """number as shown -> the state cell's text."""
    found = re.findall(
        r'<th class="field-number_display">.*?>([0-9-]+)<.*?<td class="field-state">(.*?)</td>', html(response), re.S
    )
    return dict(found)


def test_given_held_free_cancelled_and_future_numbers_then_each_shows_its_state(inventory_manager, world):
    later = clock.today() + dt.timedelta(days=40)
    pool_add("05000000100", 1, available_from=later)
    reopens = quarantine_end(clock.today()).isoformat()

    response = inventory_manager.get(LIST_URL)

    shown = rows(response)
    assert shown["050-0000-0000"] == ja("held", context="number state")
    assert shown["050-0000-0002"] == ja("in quarantine, issuable from %(day)s", day=reopens)  # cancelled today
    assert shown["050-0000-0010"] == ja("free", context="number state")
    assert shown["050-0000-0100"] == ja("in quarantine, issuable from %(day)s", day=later.isoformat())
    assert "DISPLAY" not in html(response)
    assert '<th scope="col" class="sortable column-number_display' in html(response)


def test_given_a_state_filter_then_only_those_numbers_are_listed(inventory_manager, world):
    pool_add("05000000100", 1, available_from=clock.today() + dt.timedelta(days=40))
    expected = {
        "free": set(PhoneNumber.objects.issuable().values_list("number", flat=True)),
        "held": {"05000000000", "05000000001", "05000000003", "05000000004"},
        "quarantine": {"05000000002", "05000000100"},
    }
    for state, numbers in expected.items():
        response = inventory_manager.get(LIST_URL, {"state": state})
        assert response.status_code == 200, state
        listed = {number.replace("-", "") for number in rows(response)}
        assert listed == numbers, state


def test_the_list_costs_the_same_queries_however_many_numbers_it_shows(
    inventory_manager, world, django_assert_max_num_queries
):
    pool_add("05000001000", 80, available_from=clock.today() + dt.timedelta(days=3))
    with django_assert_max_num_queries(12):
        response = inventory_manager.get(LIST_URL, {"state": "quarantine"})
    assert len(rows(response)) == 81


def test_a_number_whose_cancellation_takes_effect_later_is_held_until_then(inventory_manager, world):
    from selfcare.orders.services import numbers_cancel
    from selfcare.testing import TEST_ACTOR

    effective = clock.today() + dt.timedelta(days=20)
    numbers_cancel(
        customer_id=world.beta.pk,
        numbers=["05000000003"],
        received_on=clock.today(),
        effective_on=effective,
        actor=TEST_ACTOR,
    )

    assert rows(inventory_manager.get(LIST_URL))["050-0000-0003"] == ja(
        "held, cancelled from %(day)s", day=effective.isoformat()
    )
    held = rows(inventory_manager.get(LIST_URL, {"state": "held"}))
    waiting = rows(inventory_manager.get(LIST_URL, {"state": "quarantine"}))
    assert "050-0000-0003" in held and "050-0000-0003" not in waiting
    assert "050-0000-0002" in waiting and "050-0000-0002" not in held  # cancelled with effect today


def test_the_list_opens_at_the_lowest_number(inventory_manager, world):
    shown = list(rows(inventory_manager.get(LIST_URL)))
    assert shown[0] == "050-0000-0000" and shown == sorted(shown)


def test_given_a_held_number_then_no_issuable_day_is_shown_for_it(inventory_manager, world):
    page = html(inventory_manager.get(LIST_URL))
    issuable = dict(
        re.findall(
            r'<th class="field-number_display">[^<]*<a [^>]*>([0-9-]+)</a></th><td class="field-state">[^<]*</td>'
            r'<td class="field-issuable_from[^"]*">(.*?)</td>',
            page,
        )
    )
    assert issuable["050-0000-0000"] == "—"  # held
    assert issuable["050-0000-0010"] != "—"  # free: the day it can be issued
    assert '<td class="field-available_from">' not in page

    number_page = html(inventory_manager.get(f"{LIST_URL}05000000000/change/"))
    assert re.search(r'field-issuable_from.*?<div class="readonly">—</div>', number_page, re.S)
