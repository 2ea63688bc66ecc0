"""The staff customer page: plans by name, the password-change state in view, no 'save and add another'."""

from __future__ import annotations

import re

from selfcare.accounts.models import User
from selfcare.backoffice.tests.conftest import html, ja

CUSTOMERS_URL = "/staff/accounts/customer/"


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def application_rows(page: str) -> str:
    start = page.index('id="applications-group"')
    return page[start : page.index("</fieldset>", start)]


def test_given_a_customers_applications_then_each_names_its_plan_not_only_the_code(sales, world):
    page = html(sales.get(f"{CUSTOMERS_URL}{world.acme.pk}/change/"))

    rows = text_of(application_rows(page))
    assert f"{world.plan.name} ({world.plan.code})" in rows


def test_given_the_customer_page_then_it_offers_save_and_continue_but_not_save_and_add_another(sales, world):
    page = html(sales.get(f"{CUSTOMERS_URL}{world.acme.pk}/change/"))

    assert 'name="_save"' in page and 'name="_continue"' in page
    assert 'name="_addanother"' not in page and ja("Save and add another") not in page


def test_given_a_password_set_by_staff_then_the_page_says_a_change_is_required_at_the_next_login(
    customer_centre, world
):
    User.objects.filter(pk=world.acme.user_id).update(password_change_required=True)

    required = text_of(html(customer_centre.get(f"{CUSTOMERS_URL}{world.acme.pk}/change/")))
    User.objects.filter(pk=world.acme.user_id).update(password_change_required=False)
    not_required = text_of(html(customer_centre.get(f"{CUSTOMERS_URL}{world.acme.pk}/change/")))

    label = ja("password change at the next login")
    assert f"{label}: 必要" in required and "次回ログインの直後" in required
    assert f"{label}: 不要" in not_required
