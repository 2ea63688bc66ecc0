"""Recording a paper cancellation: find the customer as staff know them, confirm what will change, then record."""

from __future__ import annotations

import datetime as dt

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


def test_given_a_name_several_customers_share_then_the_form_lists_them(customer_centre, world, plan):
    CustomerFactory(plan=plan, contract_name="アクメ東京サービス株式会社")
    response = customer_centre.post(
        URL, {"customer": "アクメ東京", "numbers": "05000000000", "received_on": clock.today().isoformat()}
    )
    assert response.status_code == 200
    errors = error_list_text(response)
    assert "acme-tokyo (アクメ東京株式会社)" in errors and "アクメ東京サービス株式会社" in errors
    assert nothing_recorded(world)


def test_given_numbers_the_customer_does_not_hold_then_refused_before_the_confirmation(customer_centre, world):
    response = customer_centre.post(
        URL, {"customer": "acme-tokyo", "numbers": "05000000003", "received_on": clock.today().isoformat()}
    )
    assert response.status_code == 200
    assert ja("Confirm the paper cancellation") not in html(response)
    assert "05000000003" in error_list_text(response)


def test_the_form_no_longer_asks_for_an_internal_id(customer_centre, world):
    page = html(customer_centre.get(URL))
    assert ja("The customer's internal number, shown on the customer's page.") not in page
    assert 'type="number" name="customer"' not in page
