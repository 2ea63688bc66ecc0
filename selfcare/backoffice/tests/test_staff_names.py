"""No English left where staff read roles, permissions, authenticators and the audit CSV: roles by their names in
the staff member's language (the groups keep their stored names), permissions in words, breadcrumbs as the menu
names a page, the audit CSV headed in Japanese with times in the carrier's zone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

import time_machine
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.audit.models import AuditEntry
from selfcare.audit.services import audit_record
from selfcare.backoffice.roles import ROLES
from selfcare.backoffice.tests.conftest import changelist_action, html, ja
from selfcare.testing import TEST_ACTOR

ROLE_WORDS = ["customer centre", "sales", "inventory manager", "auditor", "operations"]


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, flags=re.S)
    assert select, name
    return [unescape(text).strip() for text in re.findall(r"<option[^>]*>(.*?)</option>", select[1], flags=re.S)]


def test_a_staff_users_roles_are_named_in_japanese_in_the_form_the_list_and_its_filter(superuser, customer_centre):
    page = html(superuser.get(f"/staff/accounts/user/{customer_centre.user.pk}/change/"))

    assert f'<label for="id_groups">{ja("Roles")}' in page  # the field named as the menu names them
    roles = _options(page, "groups")
    assert sorted(roles) == sorted(ja(name, "staff role") for name in ROLES)
    assert not set(roles) & set(ROLE_WORDS)
    listing = html(superuser.get("/staff/accounts/user/"))
    assert ja("customer centre", "staff role") in listing and "customer centre" not in listing
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)  # stored as they were


def test_the_roles_list_and_a_roles_page_name_it_in_japanese_and_its_name_cannot_be_changed(superuser, roles):
    group = roles["customer centre"]
    listing = html(superuser.get("/staff/auth/group/"))
    assert ja("customer centre", "staff role") in listing and ">customer centre<" not in listing

    page = html(superuser.get(f"/staff/auth/group/{group.pk}/change/"))
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', page, flags=re.S)[1]
    assert ja("customer centre", "staff role") in crumbs and "customer centre" not in crumbs
    assert f"<h1>{ja('Change a role')}</h1>" in page
    assert 'name="name"' not in page  # roles_sync finds the group by this name after every migrate
    history = html(superuser.get(f"/staff/auth/group/{group.pk}/history/"))
    assert "customer centre" not in history


def test_permissions_are_in_words_and_only_the_staff_sites_own(superuser, customer_centre):
    page = html(superuser.get(f"/staff/accounts/user/{customer_centre.user.pk}/change/"))

    permissions = _options(page, "user_permissions")
    assert permissions and not [label for label in permissions if "Can " in label]
    assert f"{ja('customer')}: {ja('view', 'permission')}" in permissions
    assert f"{ja('customer')}: {ja('Can unlock a locked login')}" in permissions
    assert not [label for label in permissions if "session" in label.lower() or "content type" in label.lower()]
    assert Permission.objects.filter(codename="view_customer", name="Can view customer").exists()
    # The jobs page is a proxy: its own permissions are offered, not the library table's ("Task Result: …").
    assert f"{ja('background job')}: {ja('Can run a failed background job again')}" in permissions
    assert not [label for label in permissions if "Task Result" in label or "task result" in label.lower()]


def test_staff_users_breadcrumbs_are_under_the_staff_section_not_customers(superuser, customer_centre):
    for url in (
        "/staff/accounts/user/",
        f"/staff/accounts/user/{customer_centre.user.pk}/change/",
        f"/staff/accounts/user/{customer_centre.user.pk}/password/",
    ):
        page = html(superuser.get(url))
        crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', page, flags=re.S)[1]
        assert ja("Staff and roles") in crumbs and ja("Staff users") in crumbs, url
        assert ja("Customers and plans") not in crumbs, url


def test_an_authenticators_page_is_named_in_japanese_with_times_in_the_carriers_zone(superuser, world):
    device = TOTPDevice.objects.filter(user=superuser.user).get()
    TOTPDevice.objects.filter(pk=device.pk).update(created_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC))

    page = html(superuser.get(f"/staff/otp_totp/totpdevice/{device.pk}/change/"))

    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', page, flags=re.S)[1]
    assert "TOTP" not in crumbs and ja("Authenticator apps") in crumbs
    assert "2026-03-02 08:30:00" in page and "+00:00" not in page
    assert "The user that this device belongs to" not in page
    assert (
        "TOTP"
        not in re.search(
            r'<div class="breadcrumbs">(.*?)</div>', html(superuser.get("/staff/otp_totp/totpdevice/")), flags=re.S
        )[1]
    )


def test_the_audit_csv_is_headed_in_japanese_with_times_in_japan(auditor, world):
    # Entries are never changed (PostgreSQL refuses it): one written at a known time instead.
    with time_machine.travel(dt.datetime(2026, 3, 1, 23, 30, 5, 123, tzinfo=dt.UTC), tick=False):
        audit_record(actor=TEST_ACTOR, action="application.placed", customer=world.acme, target="test")
    entry = AuditEntry.objects.get(target="test")

    response = changelist_action(auditor, "/staff/audit/auditentry/", "export_csv", [entry.pk])

    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[0] == ja("when") and header[4] == ja("action") and not [h for h in header if h.isascii()]
    assert row[0] == "2026-03-02T08:30:05+09:00"
    assert row[4] == ja("Numbers added (application placed)") and row[5] == "application.placed"
    assert timezone.is_aware(dt.datetime.fromisoformat(row[0]))
