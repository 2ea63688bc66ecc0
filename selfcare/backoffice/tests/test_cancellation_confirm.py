"""Recording a paper cancellation: find the customer as staff know them, confirm what will change, then record."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from selfcare.backoffice.tests.conftest import audit, error_list_text, form_data, html, ja
from selfcare.core import clock
from selfcare.orders.models import Cancellation, IssuedLine
from selfcare.orders.services import quarantine_end
from selfcare.testing import CustomerFactory

URL = "/staff/orders/cancellation/add/"


def nothing_recorded(world) -> bool:
    return (
        Cancellation.objects.count() == 1
        and audit("numbers.cancelled").count() == 1
        and IssuedLine.objects.filter(number_id__in=["05000000000", "05000000001"], cancellation__isnull=True).count()
        == 2
    )


@pytest.mark.parametrize("typed", ["acme-tokyo", "アクメ東京", "050-0000-0001", "０５０００００００００"])
def test_given_the_self_care_id_a_name_or_a_number_when_posted_then_a_confirmation_lists_what_will_change(
    customer_centre, world, typed
):
    today = clock.today()
    effective = today + dt.timedelta(days=20)

    response = customer_centre.post(
        URL,
        {
            "customer": typed,
            "numbers": "050-0000-0000 050-0000-0001",
            "received_on": today.isoformat(),
            "effective_on": effective.isoformat(),
        },
    )

    assert response.status_code == 200, error_list_text(response)
    page = html(response)
    assert ja("Confirm the paper cancellation") in page
    assert "acme-tokyo" in page and "アクメ東京株式会社" in page
    for number in ("050-0000-0000", "050-0000-0001"):
        assert number in page
    assert effective.isoformat() in page
    assert quarantine_end(effective).isoformat() in page
    assert nothing_recorded(world), "a confirmation page changes nothing"


def test_given_the_confirmation_when_confirmed_then_recorded_once(customer_centre, world):
    today = clock.today()
    shown = customer_centre.post(
        URL, {"customer": "アクメ", "numbers": "05000000000", "received_on": today.isoformat(), "note": "書面 7"}
    )
    data = form_data(shown, None)
    data.pop("csrfmiddlewaretoken", None)

    response = customer_centre.post(URL, {**data, "confirm": "1"})

    assert response.status_code == 302, error_list_text(response)
    cancellation = Cancellation.objects.exclude(pk=world.cancellation.pk).get()
    assert (cancellation.customer, cancellation.effective_on, cancellation.note) == (world.acme, today, "書面 7")
    assert list(cancellation.lines.values_list("number_id", flat=True)) == ["05000000000"]


def test_given_back_on_the_confirmation_then_the_form_keeps_the_values_and_nothing_changes(customer_centre, world):
    today = clock.today().isoformat()
    response = customer_centre.post(
        URL, {"customer": "acme-tokyo", "numbers": "05000000000", "received_on": today, "back": "1"}
    )
    assert response.status_code == 200
    assert 'value="acme-tokyo"' in html(response)
    assert nothing_recorded(world)


def test_given_a_name_several_customers_share_then_the_form_lists_them_to_pick_with_the_rest_kept(
    customer_centre, world, plan
):
    other = CustomerFactory(plan=plan, contract_name="アクメ東京サービス株式会社", address="大阪府大阪市北区1-1")
    typed = {"customer": "アクメ東京", "numbers": "05000000000", "received_on": clock.today().isoformat()}

    response = customer_centre.post(URL, typed)

    assert response.status_code == 200
    page = html(response)
    choices = dict(
        re.findall(r'name="customer_choice" value="(\d+)"[^>]*>\s*<span class="nowrap">([^<]+)</span>', page)
    )
    assert choices == {str(world.acme.pk): "acme-tokyo", str(other.pk): other.selfcare_id}
    assert f"/staff/accounts/customer/{other.pk}/change/" in page and "大阪府大阪市北区1-1" in page
    assert 'value="05000000000"' in page or "05000000000</textarea>" in page  # what was typed is kept
    assert nothing_recorded(world)

    picked = customer_centre.post(URL, {**typed, "customer_choice": str(world.acme.pk)})

    assert ja("Confirm the paper cancellation") in html(picked), error_list_text(picked)
    assert picked.context["customer"] == world.acme
    assert nothing_recorded(world)


def test_given_a_pick_outside_what_was_typed_then_the_choice_is_asked_again(customer_centre, world, plan):
    CustomerFactory(plan=plan, contract_name="アクメ東京サービス株式会社")
    stranger = CustomerFactory(plan=plan, contract_name="ベータ商事株式会社")

    response = customer_centre.post(
        URL,
        {
            "customer": "アクメ東京",
            "customer_choice": str(stranger.pk),
            "numbers": "05000000000",
            "received_on": clock.today().isoformat(),
        },
    )

    assert ja("Confirm the paper cancellation") not in html(response)
    assert 'name="customer_choice"' in html(response)


def test_given_numbers_the_customer_does_not_hold_then_refused_before_the_confirmation(customer_centre, world):
    response = customer_centre.post(
        URL, {"customer": "acme-tokyo", "numbers": "05000000003", "received_on": clock.today().isoformat()}
    )
    assert response.status_code == 200
    assert ja("Confirm the paper cancellation") not in html(response)
    assert ja("%(number)s (not this customer's number)", number="050-0000-0003") in error_list_text(response)


def test_the_form_no_longer_asks_for_an_internal_id(customer_centre, world):
    page = html(customer_centre.get(URL))
    assert ja("The customer's internal number, shown on the customer's page.") not in page
    assert 'type="number" name="customer"' not in page


def test_given_a_name_more_customers_share_than_are_listed_then_the_form_says_so(customer_centre, world, plan):
    for n in range(11):
        CustomerFactory(plan=plan, contract_name=f"アクメ東京支店{n}")

    response = customer_centre.post(
        URL, {"customer": "アクメ東京", "numbers": "05000000000", "received_on": clock.today().isoformat()}
    )

    assert html(response).count('name="customer_choice"') == 10
    assert ja(
        "More customers match: only the first %(n)s are listed. Type more of the name, or the self-care ID.", n=10
    ) in html(response)


def test_given_a_pick_and_a_wrong_number_then_the_pick_stays_checked(customer_centre, world, plan):
    CustomerFactory(plan=plan, contract_name="アクメ東京サービス株式会社")

    response = customer_centre.post(
        URL,
        {
            "customer": "アクメ東京",
            "customer_choice": str(world.acme.pk),
            "numbers": "05000000003",
            "received_on": clock.today().isoformat(),
        },
    )

    assert ja("%(number)s (not this customer's number)", number="050-0000-0003") in error_list_text(response)
    assert re.search(rf'name="customer_choice" value="{world.acme.pk}" checked', html(response))


# rules.md, *cancellation*: the number stops working on the day the cancellation takes effect -----------------


def test_the_form_says_the_number_stops_working_on_the_cancellation_day(customer_centre, world):
    page = html(customer_centre.get(URL))

    assert "解約日（この日から利用できなくなります）" in page
    assert "最終利用日はその前日です" in page


def test_the_confirmation_shows_the_last_day_of_use_the_day_before_the_cancellation(customer_centre, world):
    today = clock.today()
    effective = today + dt.timedelta(days=30)

    response = customer_centre.post(
        URL,
        {
            "customer": "acme-tokyo",
            "numbers": "050-0000-0000",
            "received_on": today.isoformat(),
            "effective_on": effective.isoformat(),
        },
    )

    page = html(response)
    last = (effective - dt.timedelta(days=1)).isoformat()
    assert "解約日（この日から利用できなくなります）" in page
    assert re.search(rf"<th[^>]*>最終利用日</th>\s*<td[^>]*>{last}</td>", page), "the summary names the last day"
    assert re.search(r"<th scope=\"col\">最終利用日</th>", page), "the numbers' table has the column"
    row = re.search(r"<td class=\"nowrap\"[^>]*>050-0000-0000</td>(.*?)</tr>", page, flags=re.S)
    assert row and last in row.group(1)


def test_the_recorded_cancellation_shows_its_last_day_of_use(customer_centre, world):
    last = (world.cancellation.effective_on - dt.timedelta(days=1)).isoformat()

    listed = html(customer_centre.get("/staff/orders/cancellation/"))
    shown = html(customer_centre.get(f"/staff/orders/cancellation/{world.cancellation.pk}/change/"))

    for page in (listed, shown):
        assert "最終利用日" in page and last in page


def test_given_a_form_received_before_the_numbers_issue_then_refused_beside_the_date_with_every_value_kept(
    customer_centre, world
):
    """rules.md, *cancellation*: a form received before a number existed for the customer cannot be for it."""
    yesterday = clock.today() - dt.timedelta(days=1)  # the world's numbers were issued today
    effective = clock.today() + dt.timedelta(days=10)  # a valid day to take effect: only the receipt is wrong
    typed = {
        "customer": "acme-tokyo",
        "numbers": "050-0000-0000 050-0000-0001",
        "received_on": yesterday.isoformat(),
        "effective_on": effective.isoformat(),
        "note": "書面 8",
    }

    for step in ({}, {"confirm": "1"}):  # the check, and a confirmation posted anyway
        response = customer_centre.post(URL, {**typed, **step})

        assert response.status_code == 200
        page = html(response)
        assert ja("Confirm the paper cancellation") not in page
        issued = clock.today().isoformat()
        numbers = ", ".join(
            ja("%(number)s (issued %(issued_on)s)", number=number, issued_on=issued)
            for number in ("050-0000-0000", "050-0000-0001")  # every such number, not only the first
        )
        message = ja(
            "These numbers were issued after the form was received (%(received_on)s): %(numbers)s. "
            "A form received before a number was issued cannot cancel it. "
            "Check the date received and the numbers against the paper form.",
            numbers=numbers,
            received_on=yesterday.isoformat(),
        )
        beside_the_date = re.search(r'<ul class="errorlist" id="id_received_on_error">(.*?)</ul>', page, re.S)
        assert beside_the_date and message in beside_the_date.group(1), error_list_text(response)
        kept = form_data(response, None)
        assert (kept["customer"], kept["received_on"], kept["effective_on"], kept["note"]) == (
            "acme-tokyo",
            yesterday.isoformat(),
            effective.isoformat(),
            "書面 8",
        )
        assert "050-0000-0001" in kept["numbers"]
        assert nothing_recorded(world)
