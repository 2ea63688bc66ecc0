"""Every back-office page loads with data in it; the dashboard's figures; searching customers and numbers."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.test import RequestFactory
from django.urls import reverse

from selfcare.backoffice.roles import ROLES
from selfcare.backoffice.tests.conftest import AUDITOR, CUSTOMER_CENTRE, INVENTORY_MANAGER, SALES, html, ja
from selfcare.orders.models import IssuedLine

FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_\-]{20,}")


def _registered():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", _registered(), ids=lambda model: model._meta.label)
def test_changelist_and_change_page_load_with_data(superuser, world, model):
    info = f"{model._meta.app_label}_{model._meta.model_name}"
    request = RequestFactory().get("/staff/")
    request.user = superuser.user
    objects = list(admin.site._registry[model].get_queryset(request).order_by("pk")[:3])  # what its list holds
    assert objects, f"the world fixture leaves {model._meta.label} empty"
    response = superuser.get(reverse(f"admin:{info}_changelist"))
    assert response.status_code == 200
    page = html(response)
    for obj in objects:
        change_url = reverse(f"admin:{info}_change", args=[quote(obj.pk)])
        assert f'href="{change_url}' in page, (model._meta.label, obj.pk)
        detail = superuser.get(change_url)
        assert detail.status_code == 200, change_url
        assert not FERNET_TOKEN.search(html(detail)), f"an encrypted password is shown on {change_url}"
    assert not FERNET_TOKEN.search(page)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_can_open_the_records_it_may_view(make_staff, world, role):
    staff = make_staff(role)
    opened = 0
    for model in _registered():
        label, name = model._meta.app_label, model._meta.model_name
        if f"{label}.view_{name}" not in ROLES[role]:
            continue
        obj = model._default_manager.order_by("pk").first()
        response = staff.get(reverse(f"admin:{label}_{name}_change", args=[quote(obj.pk)]))
        assert response.status_code == 200, (role, model._meta.label)
        assert not FERNET_TOKEN.search(html(response))
        opened += 1
    assert opened >= 1


def test_customer_page_shows_numbers_applications_letters_and_audit_trail(superuser, world):
    response = superuser.get(f"/staff/accounts/customer/{world.acme.pk}/change/")
    page = html(response)
    assert world.acme_application.application_number in page
    for number in ("050-0000-0000", "050-0000-0001", "050-0000-0002"):
        assert number in page
    assert ja("Numbers added (application placed)") in page and ja("Paper cancellation recorded") in page
    assert "info@acme-tokyo.example" in page


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (SALES, "/staff/accounts/customer/add/"),
        (INVENTORY_MANAGER, "/staff/inventory/phonenumber/import/"),
        (CUSTOMER_CENTRE, "/staff/orders/cancellation/add/"),
        (SALES, "/staff/orders/application/billing/"),
        (AUDITOR, "/staff/"),
    ],
)
def test_custom_pages_load(make_staff, world, role, url):
    response = make_staff(role).get(url)
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html(response) or url == "/staff/"


def test_cancellation_form_can_start_from_the_customer(customer_centre, world):
    customer_page = html(customer_centre.get(f"/staff/accounts/customer/{world.acme.pk}/change/"))
    link = f'href="/staff/orders/cancellation/add/?customer={world.acme.selfcare_id}"'
    assert link in customer_page
    response = customer_centre.get(f"/staff/orders/cancellation/add/?customer={world.acme.selfcare_id}")
    assert response.status_code == 200
    assert re.search(rf'name="customer"[^>]*value="{world.acme.selfcare_id}"', html(response))


def test_object_tools_link_to_import_and_billing_only_for_their_roles(inventory_manager, sales, customer_centre, world):
    import_link = 'href="/staff/inventory/phonenumber/import/"'
    billing_link = 'href="/staff/orders/application/billing/"'
    assert import_link in html(inventory_manager.get("/staff/inventory/phonenumber/"))
    assert import_link not in html(customer_centre.get("/staff/inventory/phonenumber/"))
    assert billing_link in html(sales.get("/staff/orders/application/"))
    assert billing_link not in html(customer_centre.get("/staff/orders/application/"))


# Dashboard ----------------------------------------------------------------------------------------


def _pool_figures(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', page)]


def test_dashboard_shows_the_pool_and_warns_when_it_runs_low(auditor, world, settings):
    settings.SELFCARE_LOW_POOL_WARNING = 16  # 15 numbers are free now
    response = auditor.get("/staff/")
    page = html(response)
    # free now, in quarantine, assigned, total
    assert _pool_figures(page)[:4] == [15, 1, 4, 20]
    for label in ("Free now", "In quarantine", "Assigned", "Total"):
        assert ja(label) in page
    warning = re.search(r'<p class="errornote">(.*?)</p>', page, re.S)
    assert warning, "the low-pool warning is missing"
    assert "15" in warning.group(1) and "16" in warning.group(1)

    settings.SELFCARE_LOW_POOL_WARNING = 15
    page = html(auditor.get("/staff/"))
    assert 'class="errornote"' not in page
    assert _pool_figures(page)[:4] == [15, 1, 4, 20]


def test_dashboard_charts_count_additions_and_quarantine_releases(auditor, world):
    response = auditor.get("/staff/")
    page = html(response)
    charts = re.findall(r'<svg role="img"[^>]*>.*?</svg>', page, re.S)
    assert len(charts) == 2
    releases, additions = charts
    assert releases.count("<rect") == 12 and additions.count("<rect") == 12
    assert [bar["count"] for bar in response.context["additions"]["bars"]][-1] == 5
    assert sum(bar["count"] for bar in response.context["releases"]["bars"]) == 1
    this_week = response.context["additions"]["bars"][-1]
    assert f"<title>{this_week['label']}: 5</title>" in additions
    assert all(
        bar["height"] <= 160 and bar["y"] + bar["height"] == 180 for bar in response.context["additions"]["bars"]
    )


# Search -------------------------------------------------------------------------------------------


def _found(staff, url: str, term: str) -> list:
    response = staff.get(url, {"q": term})
    assert response.status_code == 200
    return sorted(obj.pk for obj in response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("acme-tokyo", "acme"),
        ("アクメ東京", "acme"),
        ("info@acme-tokyo.example", "acme"),
        ("050-0000-0001", "acme"),
        ("05000000001", "acme"),
        ("050-0000-0002", "acme"),  # a number cancelled since: its history still finds the customer
        ("050-0000-0003", "beta"),
        ("ベータ商事", "beta"),
    ],
)
def test_search_customers(customer_centre, world, term, who):
    expected = getattr(world, who)
    assert _found(customer_centre, "/staff/accounts/customer/", term) == [expected.pk]


def test_search_customers_by_a_number_finds_nobody_for_a_free_number(customer_centre, world):
    assert _found(customer_centre, "/staff/accounts/customer/", "050-0000-0019") == []


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("050-0000-001", [f"050000000{n}" for n in range(10, 20)]),
        ("0500000000", [f"0500000000{n}" for n in range(10)]),
        ("050-0000-0004", ["05000000004"]),
        ("050 0000 0004", ["05000000004"]),
        ("０５０－００００－０００４", ["05000000004"]),
    ],
)
def test_search_numbers_by_prefix(inventory_manager, world, term, expected):
    assert _found(inventory_manager, "/staff/inventory/phonenumber/", term) == expected


def test_number_page_lists_its_owner(customer_centre, world):
    response = customer_centre.get("/staff/inventory/phonenumber/05000000003/change/")
    assert response.status_code == 200
    assert world.beta.selfcare_id in html(response)
    assert IssuedLine.objects.filter(number_id="05000000003").count() == 1
