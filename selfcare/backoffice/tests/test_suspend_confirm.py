"""Suspending customers asks first and says what suspension does; the trail tells a suspension from its lifting;
a login lock that has run out is not shown as a time."""

from __future__ import annotations

import datetime as dt

from selfcare.accounts.models import Customer
from selfcare.audit.models import AuditEntry
from selfcare.backoffice.admin.base import audit_action, shown_moment
from selfcare.backoffice.audit_labels import action_label
from selfcare.backoffice.tests.conftest import audit, changelist_action, form_data, html, ja, messages_of
from selfcare.core import clock

CUSTOMERS_URL = "/staff/accounts/customer/"


def test_given_customers_selected_when_suspend_runs_then_a_confirmation_says_what_it_does_and_nothing_changes(
    sales, world
):
    response = changelist_action(sales, CUSTOMERS_URL, "suspend", [world.acme.pk, world.beta.pk])

    assert response.status_code == 200
    page = html(response)
    assert world.acme.contract_name in page and world.beta.contract_name in page
    assert ja("The numbers already issued keep working, and the customer can still log in and see them.") in page
    assert ja("Suspend") in page and ja("Cancel") in page
    assert set(Customer.objects.values_list("status", flat=True)) == {"active"}
    assert not audit("customer.status_changed").exists()


def test_given_the_confirmation_when_confirmed_then_suspended(sales, world):
    page = changelist_action(sales, CUSTOMERS_URL, "suspend", [world.acme.pk])

    response = sales.post(CUSTOMERS_URL, form_data(page, "suspend-form"))

    assert response.status_code == 302
    world.acme.refresh_from_db()
    world.beta.refresh_from_db()
    assert (world.acme.status, world.beta.status) == ("suspended", "active")
    assert messages_of(sales.get(CUSTOMERS_URL)) == [ja("Suspended %(n)d customers.", n=1)]


def test_given_a_suspension_and_its_lifting_then_the_trail_labels_them_apart_and_old_codes_still_read(
    sales, superuser, world
):
    changelist_action(sales, CUSTOMERS_URL, "suspend", [world.acme.pk], post="yes")
    changelist_action(sales, CUSTOMERS_URL, "reactivate", [world.acme.pk])

    suspended, lifted = audit("customer.status_changed", customer=world.acme)

    assert audit_action(suspended) == ja("Contract suspended") != audit_action(lifted)
    assert audit_action(lifted) == ja("Contract suspension lifted")
    assert action_label("customer.status_changed") == ja("Contract suspended or reactivated")
    assert action_label("customer.status_changed", {"odd": 1}) == ja("Contract suspended or reactivated")
    change_page = html(superuser.get(f"{CUSTOMERS_URL}{world.acme.pk}/change/"))
    assert ja("Contract suspended") in change_page and ja("Contract suspension lifted") in change_page
    assert isinstance(suspended, AuditEntry)


def test_given_a_login_lock_that_has_run_out_then_the_list_shows_no_time(customer_centre, world):
    user = world.acme.user
    user.locked_until = clock.now() - dt.timedelta(minutes=5)
    user.save(update_fields=["locked_until"])
    world.beta.user.locked_until = clock.now() + dt.timedelta(hours=1)
    world.beta.user.save(update_fields=["locked_until"])

    response = customer_centre.get(CUSTOMERS_URL)

    from selfcare.backoffice.admin.customers import CustomerAdmin

    locked = CustomerAdmin.locked
    assert locked(None, Customer.objects.get(pk=world.acme.pk)) == "—"  # type: ignore[arg-type]
    # Shown as the lists show a time: the carrier's local time in the site's format (not the stored UTC value).
    assert locked(None, Customer.objects.get(pk=world.beta.pk)) == shown_moment(world.beta.user.locked_until)  # type: ignore[arg-type]
    assert response.status_code == 200
