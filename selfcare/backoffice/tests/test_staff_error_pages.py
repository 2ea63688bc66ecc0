"""The staff site's 403 and 404 are staff pages (back to the staff dashboard), not the customer portal's."""

from __future__ import annotations

from selfcare.backoffice.tests.conftest import html, ja


def test_a_page_the_role_may_not_open_answers_with_a_staff_page(customer_centre, world):
    response = customer_centre.get("/staff/orders/application/billing/")

    assert response.status_code == 403
    page = html(response)
    assert ja("Your role does not allow this page. Ask an administrator if your work needs it.") in page
    assert ja("Back to the staff dashboard") in page and 'href="/staff/"' in page
    assert 'href="/menu/"' not in page  # the customer portal's menu


def test_a_missing_staff_record_answers_with_a_staff_page(customer_centre, world):
    response = customer_centre.get("/staff/accounts/customer/999999/change/")

    assert response.status_code in (302, 404)  # Django's admin sends a missing object back to its list
    missing = customer_centre.get("/staff/no-such-page/")
    assert missing.status_code == 404
    assert ja("There is no such page or record on the staff site.") in html(missing)


def test_the_customer_portal_keeps_its_own_error_pages(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert ja("The page you asked for does not exist, or is not yours to see.") in html(response)


def test_the_staff_accounts_list_holds_no_customer_logins(superuser, world):
    response = superuser.get("/staff/accounts/user/")
    listed = {user.username for user in response.context["cl"].result_list}
    assert superuser.user.username in listed
    assert world.acme.selfcare_id not in listed and world.beta.selfcare_id not in listed


def test_an_account_added_on_the_staff_accounts_page_is_a_staff_account(superuser, world):
    from selfcare.accounts.models import User

    response = superuser.post(
        "/staff/accounts/user/add/",
        {
            "username": "new-clerk",
            "password1": "a long enough staff password 1",
            "password2": "a long enough staff password 1",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert User.objects.get(username="new-clerk").is_staff
    listed = {user.username for user in superuser.get("/staff/accounts/user/").context["cl"].result_list}
    assert "new-clerk" in listed


def test_a_filter_the_staff_site_does_not_know_answers_with_a_staff_page(customer_centre, world):
    response = customer_centre.get("/staff/accounts/customer/?state=failed")

    assert response.status_code == 400
    page = html(response)
    unreadable = (
        "The address or the form holds something the staff site cannot read (a filter or a value it "
        "does not know). Go back and choose it on the page."
    )
    assert ja(unreadable) in page
    assert 'href="/staff/"' in page and 'href="/menu/"' not in page
