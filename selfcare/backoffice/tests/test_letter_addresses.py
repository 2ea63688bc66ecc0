"""A letter with passwords needs an address: the customer forms require one, and the postal code is normalised."""

from __future__ import annotations

import pytest

from selfcare.accounts.models import Customer
from selfcare.backoffice.tests.conftest import error_list_text, form_data, html, ja, ja_html
from selfcare.letters.models import Letter
from selfcare.testing import CustomerFactory

NEW = {
    "selfcare_id": "delta-kobe",
    "email": "it@delta.example",
    "contract_name": "デルタ神戸株式会社",
    "postal_code": "650-0001",
    "address": "兵庫県神戸市中央区加納町1-1",
    "plan": "",
    "addition_limit": "10",
}


@pytest.mark.parametrize("missing", ["postal_code", "address"])
def test_given_no_postal_code_or_address_when_a_customer_is_created_then_refused(sales, world, missing):
    response = sales.post("/staff/accounts/customer/add/", {**NEW, "plan": world.plan.pk, missing: ""})
    assert response.status_code == 200
    assert ja("This field is required.") in error_list_text(response)
    assert not Customer.objects.filter(user__username="delta-kobe").exists()


@pytest.mark.parametrize("typed", ["６５０－０００１", "6500001", "〒650ー0001", " 650-0001 "])
def test_given_a_postal_code_typed_full_width_when_created_then_stored_as_123_4567(sales, world, typed):
    response = sales.post("/staff/accounts/customer/add/", {**NEW, "plan": world.plan.pk, "postal_code": typed})
    assert response.status_code == 200, error_list_text(response)
    customer = Customer.objects.get(user__username="delta-kobe")
    assert customer.postal_code == "650-0001"
    assert Letter.objects.get(customer=customer).postal_code == "650-0001"


@pytest.mark.parametrize("typed", ["65-0001", "650-00011", "abc-defg"])
def test_given_a_postal_code_that_is_not_7_digits_then_refused(sales, world, typed):
    response = sales.post("/staff/accounts/customer/add/", {**NEW, "plan": world.plan.pk, "postal_code": typed})
    assert ja("Enter the postal code as 7 digits, for example 123-4567.") in error_list_text(response)


def test_given_a_customer_without_an_address_when_changed_then_the_address_is_required(sales, world, plan):
    customer = CustomerFactory(plan=plan, postal_code="", address="")
    url = f"/staff/accounts/customer/{customer.pk}/change/"
    data = form_data(sales.get(url), "customer_form")
    data.pop("csrfmiddlewaretoken", None)

    refused = sales.post(url, data)
    assert refused.status_code == 200 and ja("This field is required.") in error_list_text(refused)

    saved = sales.post(url, {**data, "postal_code": "１００－０００１", "address": "東京都千代田区千代田1-1"})
    assert saved.status_code == 302, error_list_text(saved)
    customer.refresh_from_db()
    assert customer.postal_code == "100-0001"


def test_given_an_unaddressed_letter_then_the_print_page_names_it_and_prints_the_others(customer_centre, world, plan):
    from selfcare.orders.services import numbers_add
    from selfcare.testing import TEST_ACTOR

    nowhere = CustomerFactory(plan=plan, postal_code="", address="", contract_name="住所なし株式会社")
    numbers_add(customer_id=nowhere.pk, count=1, idempotency_key="nowhere", actor=TEST_ACTOR)

    page = customer_centre.get("/staff/letters/letter/print/")

    assert "住所なし株式会社" in html(page)
    assert 'max="1"' in html(page)  # Beta's letter only
    # The customer centre cannot change a customer: the page says who can, not "enter the address".
    assert ja_html(
        "Your role cannot change a customer's details: ask sales to enter the postal code and contract address, "
        "then print again."
    ) in html(page)
