"""The customer page's save is one change, all or nothing.

It used to be three services, three transactions: a customer applying between them left the new
address saved, the limit refused, and staff shown both the refusal and "changed successfully".
The race is forced at a chosen point: after the form has checked the limit, before the change.
"""

from __future__ import annotations

from django.contrib.messages import get_messages

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.forms import CustomerChangeForm
from selfcare.backoffice.tests.conftest import form_data, html
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR

CUSTOMERS_URL = "/staff/accounts/customer/"


def test_given_the_customer_applies_while_staff_lower_the_limit_then_nothing_changes_and_the_page_says_why(
    sales, world, monkeypatch
):
    acme = world.acme
    assert acme.numbers_added == 3
    page = sales.get(f"{CUSTOMERS_URL}{acme.pk}/change/")
    data = form_data(page, "customer_form")
    data.update(addition_limit="4", address="大阪府大阪市北区梅田1-1", _save="1")
    checked = CustomerChangeForm.clean_addition_limit

    def check_then_the_customer_applies(form):  # type: ignore[no-untyped-def]
        limit = checked(form)
        numbers_add(customer_id=acme.pk, count=2, idempotency_key="meanwhile", actor=TEST_ACTOR)
        return limit

    monkeypatch.setattr(CustomerChangeForm, "clean_addition_limit", check_then_the_customer_applies)

    response = sales.post(f"{CUSTOMERS_URL}{acme.pk}/change/", data)

    assert response.status_code == 200  # the page again, not a redirect with "changed successfully"
    page_html = html(response)
    assert "大阪府大阪市北区梅田1-1" in page_html  # what was typed is kept
    assert "errornote" in page_html or "errorlist" in page_html
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "success"]
    acme.refresh_from_db()
    assert acme.addition_limit == 10 and acme.address != "大阪府大阪市北区梅田1-1"
    assert acme.numbers_added == 5
    assert not AuditEntry.objects.filter(action__in=["customer.changed", "customer.limit_changed"]).exists()


def test_given_a_change_of_details_limit_and_status_then_all_are_saved_and_each_is_audited(sales, world):
    acme = world.acme
    page = sales.get(f"{CUSTOMERS_URL}{acme.pk}/change/")
    data = form_data(page, "customer_form")
    data.update(addition_limit="20", address="大阪府大阪市北区梅田1-1", status="suspended", _save="1")

    response = sales.post(f"{CUSTOMERS_URL}{acme.pk}/change/", data)

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.addition_limit, acme.address, acme.status) == (20, "大阪府大阪市北区梅田1-1", "suspended")
    actions = set(AuditEntry.objects.filter(customer=acme).values_list("action", flat=True))
    assert {"customer.changed", "customer.limit_changed", "customer.status_changed"} <= actions


def test_given_a_row_stays_locked_when_staff_run_an_action_then_a_busy_page_not_a_server_error(
    customer_centre, world, monkeypatch
):
    """Any view that does not catch Busy itself: the site answers 503 "busy, try again", nothing changed."""
    from django.utils import translation

    from selfcare.accounts import services as account_services
    from selfcare.backoffice.tests.conftest import changelist_action
    from selfcare.core.errors import Busy

    def busy(**kwargs):  # type: ignore[no-untyped-def]
        raise Busy()

    monkeypatch.setattr(account_services, "customer_unlock", busy)
    customer_centre.client.raise_request_exception = False

    response = changelist_action(customer_centre, CUSTOMERS_URL, "unlock", [world.acme.pk])

    assert response.status_code == 503 and response["Retry-After"] == "5"
    with translation.override("ja"):
        assert str(Busy()) in html(response)
