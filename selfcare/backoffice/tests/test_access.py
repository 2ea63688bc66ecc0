"""Who may enter the back office, and what each staff role may see and do there."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts.models import Customer
from selfcare.accounts.services import staff_enrolment_code_issue
from selfcare.audit.models import AuditEntry
from selfcare.backoffice.roles import ROLES
from selfcare.backoffice.tests.conftest import (
    AUDITOR,
    CUSTOMER_CENTRE,
    INDEX_URL,
    INVENTORY_MANAGER,
    LOGIN_URL,
    OTP_URL,
    SALES,
    STAFF_PASSWORD,
    _staff_user,
    audit,
    changelist_action,
    html,
    ja,
    ja_html,
    totp_token,
    wrong_token,
)
from selfcare.letters.models import Letter
from selfcare.orders.models import Cancellation
from selfcare.testing import TEST_ACTOR

IMPORT_URL = "/staff/inventory/phonenumber/import/"
BILLING_URL = "/staff/orders/application/billing/"
CUSTOMERS_URL = "/staff/accounts/customer/"
LETTERS_URL = "/staff/letters/letter/"
AUDIT_URL = "/staff/audit/auditentry/"
CANCELLATION_ADD_URL = "/staff/orders/cancellation/add/"
QR_SVG = re.compile(r'class="otp-qr"[^>]*>\s*(?:<\?xml[^>]*>\s*)?<svg[^>]*>.*?<path', re.S)


def every_admin_url() -> list[str]:
    """The dashboard, the custom pages, and every registered model's changelist, add page and one change page."""
    urls = [INDEX_URL, IMPORT_URL, BILLING_URL]
    for model in admin.site._registry:
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"admin:{info}_changelist"), reverse(f"admin:{info}_add")]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"admin:{info}_change", args=[quote(obj.pk)]))
    return urls


def final_path(response) -> str:
    assert response.redirect_chain, f"no redirect for {response.request['PATH_INFO']} ({response.status_code})"
    return response.redirect_chain[-1][0].split("?")[0]


# Anonymous visitors and customers ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_staff_login(world):
    client = Client()
    for url in every_admin_url():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(f"{LOGIN_URL}?next="), (url, response.url)
    assert Client().get(OTP_URL).url.startswith(LOGIN_URL)


def test_a_logged_in_customer_cannot_reach_the_back_office(world):
    client = Client()
    client.force_login(world.acme.user)
    for url in every_admin_url():
        response = client.get(url, follow=True)
        assert final_path(response) == LOGIN_URL, url
        assert world.beta.contract_name not in html(response), url
    response = client.get(OTP_URL)
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)
    assert not TOTPDevice.objects.filter(user=world.acme.user).exists(), "a customer must not get an authenticator"


def test_a_customer_cannot_log_in_to_the_back_office_with_their_password(world):
    world.acme.user.set_password("the customer's own good password")
    world.acme.user.save()
    client = Client()
    response = client.post(
        LOGIN_URL, {"username": "acme-tokyo", "password": "the customer's own good password", "next": INDEX_URL}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(INDEX_URL).status_code == 302


def test_a_customer_account_cannot_post_back_office_changes(world, client):
    client.force_login(world.acme.user)
    response = client.post(
        CANCELLATION_ADD_URL,
        {"customer": world.beta.selfcare_id, "numbers": "050-0000-0003", "received_on": "2026-01-01", "confirm": "1"},
    )
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)
    assert not Cancellation.objects.filter(customer=world.beta).exists()


# Staff without the second factor ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, *ROLES])
def test_staff_without_the_second_factor_see_only_the_code_page(make_staff, world, role):
    """Password alone (even a superuser's) opens nothing: every admin URL ends on /staff/otp/, without data."""
    staff = make_staff(role, verified=False) if role else make_staff(superuser=True, verified=False)
    for url in every_admin_url():
        response = staff.get(url, follow=True)
        assert final_path(response) == OTP_URL, url
        assert response.status_code == 200
        page = html(response)
        for secret_data in (world.acme.contract_name, world.beta.contract_name, "05000000003", "050-0000-0003"):
            assert secret_data not in page, (url, secret_data)


def test_staff_without_the_second_factor_cannot_post_changes(make_staff, world):
    staff = make_staff(CUSTOMER_CENTRE, SALES, verified=False)
    before = AuditEntry.objects.count()
    response = staff.post(
        CANCELLATION_ADD_URL,
        {"customer": world.beta.selfcare_id, "numbers": "050-0000-0003", "received_on": "2026-01-01", "confirm": "1"},
    )
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)
    response = changelist_action(staff, CUSTOMERS_URL, "suspend", [world.beta.pk])
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)
    world.beta.refresh_from_db()
    assert world.beta.status == Customer.Status.ACTIVE
    assert not Cancellation.objects.filter(customer=world.beta).exists()
    assert AuditEntry.objects.count() == before


# The real two-step login ----------------------------------------------------------------------------


def _password_step(client: Client, username: str, password: str = STAFF_PASSWORD):
    return client.post(LOGIN_URL, {"username": username, "password": password, "next": INDEX_URL}, follow=True)


def test_first_login_enrols_an_authenticator_then_later_logins_ask_only_for_a_code(roles, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    user = _staff_user(CUSTOMER_CENTRE)
    enrolment_code = staff_enrolment_code_issue(username=user.username, actor=TEST_ACTOR).code
    client = Client()

    # 1. Password: accepted, but the back office sends the new staff member to enrol an authenticator,
    #    first asking for the enrolment code an administrator handed over (test_enrolment.py), then the QR code.
    response = _password_step(client, user.username)
    assert final_path(response) == OTP_URL
    assert response.status_code == 200
    assert response.context["enrolment_code_step"] is True and not QR_SVG.search(html(response))
    response = client.post(OTP_URL, {"enrolment_code": enrolment_code}, follow=True)
    assert final_path(response) == OTP_URL
    assert response.status_code == 200
    page = html(response)
    assert QR_SVG.search(page), "the enrolment page shows a QR code"
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert response.context["secret"] and response.context["secret"] in page
    import base64

    assert base64.b32decode(response.context["secret"] + "=" * (-len(response.context["secret"]) % 8)) == device.bin_key
    assert response["Cache-Control"] == "no-store"
    assert client.get(INDEX_URL, follow=True).redirect_chain[-1][0] == OTP_URL, "nothing else before the code"

    # 2. A wrong code is refused, with a message and an audit entry.
    response = client.post(OTP_URL, {"token": wrong_token(device)})
    assert response.status_code == 200
    assert ja_html(
        "The code is not correct. Enter the code your app shows now; if codes keep failing, "
        "check that your phone sets its clock automatically."
    ) in html(response)
    failed = audit("staff.login_failed", actor_user=user).get()
    assert failed.detail == {"step": "otp"} and failed.ip_address == "127.0.0.1" and failed.actor_kind == "staff"
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(INDEX_URL).status_code == 302

    # 3. The right code (after django-otp's one-second throttle) opens the dashboard.
    time_machine.shift(dt.timedelta(seconds=3))
    device.refresh_from_db()
    response = client.post(OTP_URL, {"token": totp_token(device)})
    assert response.status_code == 302 and response.url == INDEX_URL
    response = client.get(INDEX_URL)
    assert response.status_code == 200
    assert ja("Number inventory") in html(response)
    device.refresh_from_db()
    assert device.confirmed
    assert audit("staff.otp_enrolled", actor_user=user).count() == 1
    assert audit("staff.login", actor_user=user).count() == 1, "the first login is a login too"

    # 4. Log out; the next login asks for a code only: no QR code, no key.
    assert client.post("/staff/logout/").status_code == 200
    assert client.get(INDEX_URL).status_code == 302
    time_machine.shift(dt.timedelta(seconds=device.step + 1))
    response = _password_step(client, user.username)
    assert final_path(response) == OTP_URL
    page = html(response)
    assert not QR_SVG.search(page) and "otp-qr" not in page
    assert response.context["enrolling"] is False and not response.context["secret"]
    assert ja("Enter the 6-digit code from your authenticator app.") in page
    assert TOTPDevice.objects.filter(user=user).count() == 1
    device.refresh_from_db()
    response = client.post(OTP_URL, {"token": totp_token(device)})
    assert response.status_code == 302 and response.url == INDEX_URL
    assert client.get(INDEX_URL).status_code == 200
    assert audit("staff.login", actor_user=user).count() == 2


def test_a_code_cannot_be_used_twice(roles, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    user = _staff_user(AUDITOR)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    token = totp_token(device)
    assert first.post(OTP_URL, {"token": token}).status_code == 302
    response = second.post(OTP_URL, {"token": token})
    assert response.status_code == 200, "a replayed code must be refused"
    assert second.get(AUDIT_URL).status_code == 302


def test_the_code_page_does_not_redirect_to_another_site(roles, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    user = _staff_user(AUDITOR)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(user)
    response = client.post(f"{OTP_URL}?next=https://evil.example/", {"token": totp_token(device)})
    assert response.status_code == 302 and response.url == INDEX_URL


def test_a_wrong_staff_password_is_audited(roles):
    """Invariant 8 (rules.md): every failed login leaves an audit record, the staff site's password step included."""
    user = _staff_user(SALES)
    response = _password_step(Client(), user.username, "not the password at all, sorry")
    assert response.status_code == 200 and not response.redirect_chain
    entries = AuditEntry.objects.filter(action__in=["staff.login_failed", "login.failed"]).filter(
        Q(target=user.username) | Q(actor_label=user.username) | Q(actor_user=user)
    )
    assert entries.exists(), "a failed staff password leaves no audit entry"


# Each role sees and does only its share ---------------------------------------------------------------


def _expected_menu(role: str) -> dict[str, bool]:
    permissions = set(ROLES[role])
    shown = {}
    for model in admin.site._registry:
        label, name = model._meta.app_label, model._meta.model_name
        url = reverse(f"admin:{label}_{name}_changelist")
        shown[url] = any(f"{label}.{kind}_{name}" in permissions for kind in ("view", "add", "change", "delete"))
    return shown


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_menus(make_staff, world, role):
    staff = make_staff(role)
    response = staff.get(INDEX_URL)
    assert response.status_code == 200
    page = html(response)
    for url, shown in _expected_menu(role).items():
        assert (f'href="{url}"' in page) == shown, (role, url)
        assert staff.get(url).status_code == (200 if shown else 403), (role, url)


ROLE_PAGES = [
    # (role, url, expected status)
    (AUDITOR, AUDIT_URL, 200),
    (AUDITOR, CUSTOMERS_URL, 403),
    (AUDITOR, LETTERS_URL, 403),
    (AUDITOR, IMPORT_URL, 403),
    (AUDITOR, BILLING_URL, 403),
    (AUDITOR, CANCELLATION_ADD_URL, 403),
    (INVENTORY_MANAGER, IMPORT_URL, 200),
    (INVENTORY_MANAGER, "/staff/inventory/phonenumber/", 200),
    (INVENTORY_MANAGER, CUSTOMERS_URL, 403),
    (INVENTORY_MANAGER, AUDIT_URL, 403),
    (INVENTORY_MANAGER, BILLING_URL, 403),
    (CUSTOMER_CENTRE, IMPORT_URL, 403),
    (CUSTOMER_CENTRE, CUSTOMERS_URL, 200),
    (CUSTOMER_CENTRE, "/staff/accounts/customer/add/", 403),
    (CUSTOMER_CENTRE, CANCELLATION_ADD_URL, 200),
    (CUSTOMER_CENTRE, LETTERS_URL, 200),
    (CUSTOMER_CENTRE, BILLING_URL, 403),
    (CUSTOMER_CENTRE, AUDIT_URL, 403),
    (SALES, "/staff/accounts/customer/add/", 200),
    (SALES, BILLING_URL, 200),
    (SALES, CANCELLATION_ADD_URL, 403),
    (SALES, LETTERS_URL, 403),
    (SALES, IMPORT_URL, 403),
    (SALES, AUDIT_URL, 403),
]


@pytest.mark.parametrize(("role", "url", "status"), ROLE_PAGES)
def test_role_pages(make_staff, world, role, url, status):
    assert make_staff(role).get(url).status_code == status


def test_customer_page_is_read_only_for_the_customer_centre_and_editable_for_sales(customer_centre, sales, world):
    url = f"/staff/accounts/customer/{world.acme.pk}/change/"
    read_only = customer_centre.get(url)
    assert read_only.status_code == 200
    assert world.acme.contract_name in html(read_only)
    assert 'name="_save"' not in html(read_only)
    assert 'name="addition_limit"' not in html(read_only)
    editable = sales.get(url)
    assert 'name="_save"' in html(editable) and 'name="addition_limit"' in html(editable)


def test_customer_centre_cannot_change_a_limit(customer_centre, world):
    url = f"/staff/accounts/customer/{world.acme.pk}/change/"
    response = customer_centre.post(url, {"addition_limit": "40", "contract_name": "x", "plan": world.plan.pk})
    assert response.status_code == 403
    world.acme.refresh_from_db()
    assert world.acme.addition_limit == 10
    assert not audit("customer.limit_changed").exists()


def test_customer_centre_cannot_suspend_and_sales_cannot_unlock(customer_centre, sales, world):
    response = changelist_action(customer_centre, CUSTOMERS_URL, "suspend", [world.acme.pk])
    assert response.status_code == 302  # "no action selected": the action is not on the customer centre's list
    world.acme.refresh_from_db()
    assert world.acme.status == Customer.Status.ACTIVE
    world.acme.user.consecutive_failures = 12
    world.acme.user.locked_until = timezone.now() + dt.timedelta(hours=1)
    world.acme.user.save()
    response = changelist_action(sales, CUSTOMERS_URL, "unlock", [world.acme.pk])
    assert response.status_code == 302
    world.acme.user.refresh_from_db()
    assert world.acme.user.locked_until is not None
    assert not audit("customer.status_changed").exists() and not audit("customer.unlocked").exists()


def test_sales_cannot_record_cancellations_or_print_or_post_letters(sales, world):
    response = sales.post(
        CANCELLATION_ADD_URL,
        {
            "customer": world.beta.selfcare_id,
            "numbers": "050-0000-0003",
            "received_on": timezone.localdate().isoformat(),
            "confirm": "1",
        },
    )
    assert response.status_code == 403
    assert not Cancellation.objects.filter(customer=world.beta).exists()
    for action in ("print_letters", "mark_posted"):
        response = changelist_action(sales, LETTERS_URL, action, [world.beta_letter.pk])
        assert response.status_code == 403, action
        assert response["Content-Type"] != "application/pdf"
    letter = Letter.objects.get(pk=world.beta_letter.pk)
    assert letter.print_count == 0 and letter.posted_at is None
    assert not audit("letter.printed", target=f"letter:{letter.pk}").exists()


def test_customer_centre_can_record_a_cancellation_and_print_and_post_letters(customer_centre, world):
    response = customer_centre.post(
        CANCELLATION_ADD_URL,
        {
            "customer": world.beta.selfcare_id,
            "numbers": "050-0000-0003",
            "received_on": timezone.localdate().isoformat(),
            "confirm": "1",
        },
    )
    assert response.status_code == 302, html(response)
    assert Cancellation.objects.filter(customer=world.beta).count() == 1
    response = changelist_action(customer_centre, LETTERS_URL, "print_letters", [world.beta_letter.pk])
    assert response.status_code == 200 and "data:application/pdf;base64," in html(response)
    confirmed = customer_centre.post("/staff/letters/letter/print/confirm/", {"letter": [world.beta_letter.pk]})
    assert confirmed.status_code == 302
    response = changelist_action(customer_centre, LETTERS_URL, "mark_posted", [world.beta_letter.pk], post="yes")
    assert response.status_code == 302
    assert Letter.objects.get(pk=world.beta_letter.pk).posted_at is not None


def test_other_roles_cannot_import_or_export(make_staff, world):
    for role in (CUSTOMER_CENTRE, SALES, AUDITOR):
        staff = make_staff(role)
        response = staff.post(IMPORT_URL, {"first": "050-9000-0000", "last": "050-9000-0009", "confirm": "1"})
        assert response.status_code == 403, role
    assert not audit("inventory.imported", actor_kind="staff").exists()
    for role in (CUSTOMER_CENTRE, INVENTORY_MANAGER, AUDITOR):
        response = make_staff(role).post(BILLING_URL, {"month": timezone.localdate().strftime("%Y-%m")})
        assert response.status_code == 403, role
    assert not audit("billing.exported").exists()


# The audit log is written once, read only ------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "superuser"])
def test_nobody_can_edit_or_delete_audit_entries(request, world, who):
    staff = request.getfixturevalue(who)
    entry = world.audit_entry
    before = (AuditEntry.objects.count(), entry.action, entry.detail, entry.target)
    change_url = f"{AUDIT_URL}{entry.pk}/change/"
    delete_url = f"{AUDIT_URL}{entry.pk}/delete/"

    response = staff.get(change_url)
    assert response.status_code == 200, "the entry can be read"
    page = html(response)
    assert 'name="_save"' not in page and 'name="action"' not in page and "deletelink" not in page
    posted = {"action": "tampered", "target": "x", "detail": "{}", "actor_label": "x", "_save": "1"}
    assert staff.post(change_url, posted).status_code == 403
    assert staff.get(delete_url).status_code == 403
    assert staff.post(delete_url, {"post": "yes"}).status_code == 403
    assert staff.get(f"{AUDIT_URL}add/").status_code == 403
    assert staff.post(f"{AUDIT_URL}add/", posted).status_code == 403
    response = changelist_action(staff, AUDIT_URL, "delete_selected", [entry.pk], post="yes")
    assert response.status_code == 302  # not an available action: nothing happens

    entry.refresh_from_db()
    assert (AuditEntry.objects.count(), entry.action, entry.detail, entry.target) == before
