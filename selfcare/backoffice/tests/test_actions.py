"""Every staff action goes through the domain services and leaves an audit entry naming the staff member."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from selfcare.accounts.models import Customer, Plan
from selfcare.audit.models import AuditEntry
from selfcare.backoffice.tests.conftest import (
    Staff,
    audit,
    changelist_action,
    error_list_text,
    everything_stored,
    form_data,
    html,
    ja,
    ja_html,
    messages_of,
)
from selfcare.core import clock, crypto
from selfcare.inventory.models import PhoneNumber
from selfcare.letters.models import Letter
from selfcare.orders.billing import CSV_HEADER
from selfcare.orders.models import Cancellation, IssuedLine
from selfcare.orders.services import quarantine_end
from selfcare.testing import tokyo_time

CUSTOMERS_URL = "/staff/accounts/customer/"
LETTERS_URL = "/staff/letters/letter/"
IMPORT_URL = "/staff/inventory/phonenumber/import/"
CANCELLATION_ADD_URL = "/staff/orders/cancellation/add/"
BILLING_URL = "/staff/orders/application/billing/"


def is_no_store(response) -> bool:
    return "no-store" in {part.strip() for part in response.get("Cache-Control", "").split(",")}


def by_staff(entry: AuditEntry, staff: Staff) -> None:
    """The entry names the staff member, as staff, and where they were."""
    assert entry.actor_kind == "staff"
    assert entry.actor_user_id == staff.user.pk
    assert entry.actor_label == staff.user.username
    assert entry.ip_address == "127.0.0.1"


def the_one(action: str, **filters) -> AuditEntry:
    entries = list(audit(action, **filters))
    assert len(entries) == 1, f"{action}: {len(entries)} entries"
    return entries[0]


# Customers ------------------------------------------------------------------------------------------


NEW_CUSTOMER = {
    "selfcare_id": "gamma-osaka",
    "email": "it@gamma.example",
    "contract_name": "ガンマ大阪株式会社",
    "postal_code": "530-0001",
    "address": "大阪府大阪市北区梅田1-1-1",
    "addition_limit": "20",
}


def test_create_customer_posts_the_initial_password_and_never_shows_it(sales, world):
    """rules.md, *letter*: a new customer's generated initial password goes out on a letter to the contract
    address; the page says so and shows no password to pass on."""
    response = sales.post(f"{CUSTOMERS_URL}add/", {**NEW_CUSTOMER, "plan": world.premium.pk})
    assert response.status_code == 200, error_list_text(response)
    assert is_no_store(response)
    page = html(response)
    assert 'class="initial-password"' not in page
    assert "初期パスワードはご契約住所へ郵送します（郵送物を作成しました）" in page
    assert "530-0001" in page and NEW_CUSTOMER["address"] in page, "the page says where the letter goes"
    assert "セルフケアID・パスワードのご案内" in page

    customer = Customer.objects.select_related("user", "plan").get(user__username="gamma-osaka")
    assert (customer.contract_name, customer.user.email, customer.plan, customer.addition_limit) == (
        "ガンマ大阪株式会社",
        "it@gamma.example",
        world.premium,
        20,
    )
    assert customer.address == NEW_CUSTOMER["address"] and customer.postal_code == "530-0001"
    assert customer.user.password_change_required
    assert not customer.user.is_staff
    letter = Letter.objects.get(customer=customer, kind=Letter.Kind.SELFCARE_CREDENTIALS)
    assert letter.printed_at is None and letter.secret_encrypted, "queued with the password, encrypted"
    assert f"/staff/letters/letter/{letter.pk}/change/" not in page, "sales do not open letters: no link to a refusal"
    password = crypto.decrypt(letter.secret_encrypted)
    assert customer.user.check_password(password)
    assert password not in page

    entry = the_one("customer.created", customer=customer)
    by_staff(entry, sales)
    assert entry.target == "gamma-osaka"
    assert entry.detail == {"plan": "premium", "addition_limit": 20}
    assert password not in everything_stored(), "the initial password is stored in clear somewhere"
    for morsel in response.cookies.values():
        assert password not in morsel.value
    assert password not in html(sales.get(f"{CUSTOMERS_URL}{customer.pk}/change/"))


def test_create_customer_links_the_queued_letter_for_staff_who_may_open_letters(superuser, world):
    response = superuser.post(f"{CUSTOMERS_URL}add/", {**NEW_CUSTOMER, "plan": world.plan.pk})

    letter = Letter.objects.get(customer__user__username="gamma-osaka", kind=Letter.Kind.SELFCARE_CREDENTIALS)
    assert f"/staff/letters/letter/{letter.pk}/change/" in html(response)


def test_create_customer_refuses_a_taken_id_and_a_bad_id(sales, world):
    response = sales.post(f"{CUSTOMERS_URL}add/", {**NEW_CUSTOMER, "selfcare_id": "ACME-TOKYO", "plan": world.plan.pk})
    assert response.status_code == 200
    assert 'class="customer-created"' not in html(response)
    assert error_list_text(response).strip()
    response = sales.post(f"{CUSTOMERS_URL}add/", {**NEW_CUSTOMER, "selfcare_id": "-bad id-", "plan": world.plan.pk})
    assert response.status_code == 200
    assert 'class="customer-created"' not in html(response)
    assert error_list_text(response).strip()
    assert Customer.objects.count() == 2
    assert not audit("customer.created").exists()


def _change_form(staff: Staff, customer: Customer) -> dict:
    response = staff.get(f"{CUSTOMERS_URL}{customer.pk}/change/")
    assert response.status_code == 200
    data = form_data(response, "customer_form")
    assert "addition_limit" in data and "plan" in data, sorted(data)
    return data


def test_change_plan_email_and_address(sales, world):
    data = _change_form(sales, world.acme)
    data.update(plan=str(world.premium.pk), email="new@acme.example", address="東京都港区芝公園4-2-8", _save="1")
    response = sales.post(f"{CUSTOMERS_URL}{world.acme.pk}/change/", data)
    assert response.status_code == 302, error_list_text(response)
    customer = Customer.objects.select_related("user", "plan").get(pk=world.acme.pk)
    assert (customer.plan, customer.user.email, customer.address) == (
        world.premium,
        "new@acme.example",
        "東京都港区芝公園4-2-8",
    )
    entry = the_one("customer.changed", customer=customer)
    by_staff(entry, sales)
    assert entry.detail == {
        "plan": ["basic", "premium"],
        "email": ["info@acme-tokyo.example", "new@acme.example"],
        "address": ["東京都千代田区千代田1-1", "東京都港区芝公園4-2-8"],
    }
    assert not audit("customer.limit_changed").exists() and not audit("customer.status_changed").exists()


def test_change_limit(sales, world):
    data = _change_form(sales, world.acme)
    data.update(addition_limit="30", _save="1")
    response = sales.post(f"{CUSTOMERS_URL}{world.acme.pk}/change/", data)
    assert response.status_code == 302, error_list_text(response)
    world.acme.refresh_from_db()
    assert world.acme.addition_limit == 30
    entry = the_one("customer.limit_changed", customer=world.acme)
    by_staff(entry, sales)
    assert entry.detail == {"from": 10, "to": 30}
    assert not audit("customer.changed").exists(), "nothing else changed"


def test_a_limit_below_the_numbers_added_is_refused_on_the_form(sales, world):
    assert world.acme.numbers_added == 3
    data = _change_form(sales, world.acme)
    data.update(addition_limit="2", _save="1")
    response = sales.post(f"{CUSTOMERS_URL}{world.acme.pk}/change/", data)
    assert response.status_code == 200
    assert ja_html("The limit cannot be lower than the %(added)d numbers already added.", added=3) in html(response)
    world.acme.refresh_from_db()
    assert world.acme.addition_limit == 10
    assert not audit("customer.limit_changed").exists()


def test_suspend_and_reactivate(sales, world):
    response = changelist_action(sales, CUSTOMERS_URL, "suspend", [world.acme.pk, world.beta.pk], post="yes")
    assert response.status_code == 302
    assert set(Customer.objects.values_list("status", flat=True)) == {"suspended"}
    entries = list(audit("customer.status_changed"))
    assert len(entries) == 2
    for entry in entries:
        by_staff(entry, sales)
        assert entry.detail == {"from": "active", "to": "suspended"}
    changelist_action(sales, CUSTOMERS_URL, "reactivate", [world.acme.pk])
    world.acme.refresh_from_db()
    assert world.acme.status == "active"
    entry = audit("customer.status_changed", customer=world.acme).last()
    by_staff(entry, sales)
    assert entry.detail == {"from": "suspended", "to": "active"}


def test_unlock(customer_centre, world):
    user = world.acme.user
    user.consecutive_failures = 11
    user.locked_until = timezone.now() + dt.timedelta(minutes=2)
    user.save()
    response = changelist_action(customer_centre, CUSTOMERS_URL, "unlock", [world.acme.pk])
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.consecutive_failures == 0 and user.locked_until is None
    entry = the_one("customer.unlocked", customer=world.acme)
    by_staff(entry, customer_centre)
    assert entry.detail == {"consecutive_failures": 11}
    page = customer_centre.get(CUSTOMERS_URL)
    assert ja("Unlocked %(n)d customers.", n=1) in messages_of(page)


# Paper cancellations --------------------------------------------------------------------------------


def test_record_a_paper_cancellation_with_numbers_typed_with_hyphens(customer_centre, world):
    today = clock.today()
    effective = today + dt.timedelta(days=14)
    response = customer_centre.post(
        CANCELLATION_ADD_URL,
        {
            "customer": world.acme.selfcare_id,
            "confirm": "1",
            "numbers": "050-0000-0000\n０５０－００００－０００１",
            "received_on": today.isoformat(),
            "effective_on": effective.isoformat(),
            "note": "書面 No.123",
        },
    )
    assert response.status_code == 302, error_list_text(response)
    cancellation = Cancellation.objects.exclude(pk=world.cancellation.pk).get()
    assert response.url == f"/staff/orders/cancellation/{cancellation.pk}/change/"
    assert (cancellation.customer, cancellation.received_on, cancellation.effective_on) == (
        world.acme,
        today,
        effective,
    )
    assert cancellation.recorded_by == customer_centre.user and cancellation.note == "書面 No.123"

    lines = IssuedLine.objects.filter(cancellation=cancellation).order_by("number_id")
    assert [line.number_id for line in lines] == ["05000000000", "05000000001"]
    assert {line.cancelled_on for line in lines} == {effective}
    free_from = quarantine_end(effective)
    assert set(
        PhoneNumber.objects.filter(number__in=["05000000000", "05000000001"]).values_list("available_from", flat=True)
    ) == {free_from}

    entry = the_one("numbers.cancelled", target=f"cancellation:{cancellation.pk}")
    by_staff(entry, customer_centre)
    assert entry.customer == world.acme
    assert entry.detail == {
        "numbers": ["05000000000", "05000000001"],
        "received_on": today.isoformat(),
        "effective_on": effective.isoformat(),
        "available_from": free_from.isoformat(),
    }
    page = customer_centre.get(response.url)
    assert page.status_code == 200
    assert ja("Recorded the cancellation of %(n)d numbers.", n=2) in messages_of(page)
    assert "050-0000-0000" in html(page) and "050-0000-0001" in html(page)


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        # Beta's number, on Acme's form: not this customer's.
        (
            "050-0000-0003",
            (
                "These numbers cannot be cancelled for this customer: %(numbers)s",
                {"numbers": ja("%(number)s (not this customer's number)", number="050-0000-0003")},
            ),
        ),
        # Already cancelled: from when.
        (
            "050-0000-0002",
            (
                "These numbers cannot be cancelled for this customer: %(numbers)s",
                {
                    "numbers": ja(
                        "%(number)s (already cancelled, from %(day)s)",
                        number="050-0000-0002",
                        day=clock.today().isoformat(),
                    )
                },
            ),
        ),
        # Never issued, next to one Acme holds.
        (
            "050-0000-0001, 050-0000-0019",
            (
                "These numbers cannot be cancelled for this customer: %(numbers)s",
                {"numbers": ja("%(number)s (not this customer's number)", number="050-0000-0019")},
            ),
        ),
        ("050-1234", ("Not 050 numbers: %(bad)s", {"bad": "050-1234"})),
    ],
)
def test_cancellation_errors_are_shown_on_the_form(customer_centre, world, numbers, expected):
    today = clock.today().isoformat()
    response = customer_centre.post(
        CANCELLATION_ADD_URL,
        {"customer": world.acme.selfcare_id, "numbers": numbers, "received_on": today, "effective_on": today},
    )
    assert response.status_code == 200
    message, params = expected
    assert ja(message, **params) in error_list_text(response)
    assert Cancellation.objects.count() == 1
    assert IssuedLine.objects.filter(number_id="05000000001", cancellation__isnull=True).exists()
    assert audit("numbers.cancelled").count() == 1, "only the world's own cancellation"


def test_cancellation_effective_before_received_is_refused(customer_centre, world):
    today = clock.today()
    response = customer_centre.post(
        CANCELLATION_ADD_URL,
        {
            "customer": world.acme.selfcare_id,
            "numbers": "050-0000-0001",
            "received_on": today.isoformat(),
            "effective_on": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert error_list_text(response).strip()
    assert Cancellation.objects.count() == 1


# Number inventory -----------------------------------------------------------------------------------


def test_import_a_range_preview_then_confirm(inventory_manager, world):
    data = {"first": "050-0000-0015", "last": "050-0000-0024"}  # 15-19 are known already
    response = inventory_manager.post(IMPORT_URL, {**data, "preview": "1"})
    assert response.status_code == 200, error_list_text(response)
    preview = response.context["preview"]
    assert (preview.to_add, preview.to_skip, preview.first, preview.last) == (5, 5, "05000000015", "05000000024")
    assert 'name="confirm"' in html(response)
    assert PhoneNumber.objects.count() == 20, "a preview writes nothing"
    assert not audit("inventory.imported", actor_kind="staff").exists()

    response = inventory_manager.post(IMPORT_URL, {**data, "confirm": "1"})
    assert response.status_code == 302 and response.url == "/staff/inventory/phonenumber/"
    assert PhoneNumber.objects.count() == 25
    assert PhoneNumber.objects.filter(number="05000000024", status="free", available_from=clock.today()).exists()
    entry = the_one("inventory.imported", actor_kind="staff")
    by_staff(entry, inventory_manager)
    assert entry.target == "range:05000000015-05000000024"
    assert entry.detail == {"added": 5, "skipped": 5, "available_from": clock.today().isoformat()}
    page = inventory_manager.get(response.url)
    assert ja("Added %(added)d numbers; skipped %(skipped)d already known.", added=5, skipped=5) in messages_of(page)


def test_import_a_csv_file_for_later(inventory_manager, world):
    later = clock.today() + dt.timedelta(days=30)

    def upload():
        content = "番号\n050-7000-0001\n05070000002\n050-0000-0000\n".encode()
        return SimpleUploadedFile("numbers.csv", content, content_type="text/csv")

    response = inventory_manager.post(
        IMPORT_URL, {"csv_file": upload(), "available_from": later.isoformat(), "preview": "1"}
    )
    assert response.status_code == 200, error_list_text(response)
    assert (response.context["preview"].to_add, response.context["preview"].to_skip) == (2, 1)
    response = inventory_manager.post(
        IMPORT_URL, {"csv_file": upload(), "available_from": later.isoformat(), "confirm": "1"}
    )
    assert response.status_code == 302
    assert set(PhoneNumber.objects.filter(number__startswith="0507").values_list("available_from", flat=True)) == {
        later
    }
    entry = the_one("inventory.imported", actor_kind="staff")
    assert entry.target == "csv:numbers.csv"
    assert entry.detail == {"added": 2, "skipped": 1, "available_from": later.isoformat()}


def test_a_million_number_range_is_previewed_by_counting_not_walking(inventory_manager, world, monkeypatch):
    """A preview of 050-2000-0000 to 050-2999-9999 counts the range and its known numbers in one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from selfcare.backoffice.admin import inventory
    from selfcare.inventory import services

    for module in (services, inventory):
        monkeypatch.setattr(module, "iter_range", lambda *a: pytest.fail("the preview walked the range"))
    later = clock.today() + dt.timedelta(days=10)
    data = {"first": "050-0000-0000", "last": "050-0099-9999", "available_from": later.isoformat(), "preview": "1"}

    with CaptureQueriesContext(connection) as queries:
        response = inventory_manager.post(IMPORT_URL, data)

    assert response.status_code == 200, error_list_text(response)
    preview = response.context["preview"]
    assert (preview.to_add, preview.to_skip) == (1_000_000 - 20, 20)
    assert len([q for q in queries if "inventory_phonenumber" in q["sql"]]) == 1
    assert later.isoformat() in html(response), "the preview shows the chosen 払い出し可能日"


def test_the_preview_says_issuable_from_today_when_no_day_is_chosen(inventory_manager, world):
    response = inventory_manager.post(IMPORT_URL, {"first": "050-0000-0015", "last": "050-0000-0024", "preview": "1"})

    assert response.context["preview"].available_from == clock.today()
    assert clock.today().isoformat() in html(response)


def test_a_csv_with_bad_rows_lists_them_all_up_to_a_cap(inventory_manager, world):
    rows = ["番号", "050-7000-0001", "bad-1", "050-7000-0002", "03-1234-5678"] + [f"x{i}" for i in range(30)]
    upload = SimpleUploadedFile("numbers.csv", "\n".join(rows).encode(), content_type="text/csv")

    response = inventory_manager.post(IMPORT_URL, {"csv_file": upload, "preview": "1"})

    errors = error_list_text(response)
    assert "3" in errors and "bad-1" in errors and "03-1234-5678" in errors, errors
    assert "x17" in errors and "x18" not in errors, "the first 20 bad rows"
    assert ja("…and %(n)d more rows that are not 050 numbers.", n=12) in errors
    assert PhoneNumber.objects.count() == 20


@pytest.mark.parametrize(
    "data",
    [
        {"first": "050-0000-0024", "last": "050-0000-0015"},
        {"first": "050-0000-0015", "last": ""},
        {"first": "03-1234-5678", "last": "03-1234-5679"},
        {},
    ],
)
def test_bad_imports_show_an_error(inventory_manager, world, data):
    response = inventory_manager.post(IMPORT_URL, {**data, "confirm": "1"})
    assert response.status_code == 200
    assert error_list_text(response).strip()
    assert PhoneNumber.objects.count() == 20


def test_a_csv_that_is_not_utf8_shows_an_error(inventory_manager, world):
    upload = SimpleUploadedFile("numbers.csv", "番号\n050-7000-0001\n".encode("shift_jis"), content_type="text/csv")
    response = inventory_manager.post(IMPORT_URL, {"csv_file": upload, "preview": "1"})
    assert response.status_code == 200
    assert error_list_text(response).strip()


# Letters --------------------------------------------------------------------------------------------


def _print(staff: Staff, *letters: Letter, **extra):
    return changelist_action(staff, LETTERS_URL, "print_letters", [letter.pk for letter in letters], **extra)


def pdf_on(response) -> bytes:
    """The PDF a confirmation page offers for download."""
    import base64
    import re

    match = re.search(r'href="data:application/pdf;base64,([^"]+)"', html(response))
    assert match, html(response)
    return base64.b64decode(match.group(1))


def confirm_printed(staff: Staff, response):
    """Press the confirmation page's button: the pages came out of the printer."""
    return staff.post("/staff/letters/letter/print/confirm/", form_data(response, "print-confirm"))


def test_print_letters_makes_a_pdf_records_the_print_only_when_confirmed_and_a_second_print_needs_a_reason(
    customer_centre, world
):
    letter = world.beta_letter
    response = _print(customer_centre, letter)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert is_no_store(response)
    assert pdf_on(response).startswith(b"%PDF")
    letter.refresh_from_db()
    assert letter.print_count == 0 and letter.printed_at is None  # made, not yet printed
    made = the_one("letter.pdf_made", target=f"letter:{letter.pk}", actor_kind="staff")
    by_staff(made, customer_centre)

    confirmed = confirm_printed(customer_centre, response)
    assert confirmed.status_code == 302
    letter.refresh_from_db()
    assert letter.print_count == 1 and letter.printed_at is not None
    entry = the_one("letter.printed", target=f"letter:{letter.pk}", actor_kind="staff")
    by_staff(entry, customer_centre)
    assert entry.customer == world.beta and entry.detail["print_count"] == 1

    # Again: the back office asks why before putting the passwords on paper a second time.
    response = _print(customer_centre, letter)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert ja_html("Print letters again") in html(response)
    assert not audit("letter.pdf_made").exclude(pk=made.pk).exists()

    data = form_data(response, None)
    assert data["action"] == "print_letters" and data["_selected_action"] == str(letter.pk)
    data["reason"] = "お客様が紛失されたため"
    response = customer_centre.post(LETTERS_URL, data)
    assert pdf_on(response).startswith(b"%PDF")
    letter.refresh_from_db()
    assert letter.print_count == 1 and not audit("letter.reprinted").exists()
    confirm_printed(customer_centre, response)
    letter.refresh_from_db()
    assert letter.print_count == 2
    entry = the_one("letter.reprinted", target=f"letter:{letter.pk}")
    by_staff(entry, customer_centre)
    assert entry.detail["reason"] == "お客様が紛失されたため" and entry.detail["print_count"] == 2


def test_a_mixed_selection_with_a_printed_letter_needs_a_reason(customer_centre, world):
    response = _print(customer_centre, world.acme_letter, world.beta_letter)
    assert 'name="reason"' in html(response)
    assert Letter.objects.get(pk=world.beta_letter.pk).print_count == 0
    response = _print(customer_centre, world.acme_letter, world.beta_letter, reason="宛先不明で返送")
    assert pdf_on(response).startswith(b"%PDF")
    confirm_printed(customer_centre, response)
    assert audit("letter.printed", actor_kind="staff").count() == 1
    assert audit("letter.reprinted").count() == 1


def test_mark_posted(customer_centre, world):
    letter = world.beta_letter
    response = changelist_action(customer_centre, LETTERS_URL, "mark_posted", [letter.pk])
    assert response.status_code == 302
    page = customer_centre.get(response.url)
    assert page.status_code == 200
    expected = ja(
        "These letters have never been printed, so they cannot have been posted: %(ids)s.", ids=str(letter.pk)
    )
    assert expected in messages_of(page)
    letter.refresh_from_db()
    assert letter.posted_at is None
    assert not audit("letter.posted", target=f"letter:{letter.pk}").exists()

    made = _print(customer_centre, letter)  # a PDF made but not confirmed printed cannot be posted either
    changelist_action(customer_centre, LETTERS_URL, "mark_posted", [letter.pk])
    assert Letter.objects.get(pk=letter.pk).posted_at is None
    confirm_printed(customer_centre, made)
    asked = changelist_action(customer_centre, LETTERS_URL, "mark_posted", [letter.pk])
    assert asked.status_code == 200 and Letter.objects.get(pk=letter.pk).posted_at is None  # a question first
    assert ja("Letters to be recorded as posted today: %(n)s. Nothing has been recorded yet.", n=1) in html(asked)
    response = changelist_action(customer_centre, LETTERS_URL, "mark_posted", [letter.pk], post="yes")
    assert response.status_code == 302
    assert ja("Marked %(n)d letters as posted.", n=1) in messages_of(customer_centre.get(response.url))
    letter.refresh_from_db()
    assert letter.posted_at is not None and letter.posted_by == customer_centre.user
    entry = the_one("letter.posted", target=f"letter:{letter.pk}")
    by_staff(entry, customer_centre)


def test_unposted_filter(customer_centre, world):
    response = customer_centre.get(LETTERS_URL, {"posted": "no"})
    assert [letter.pk for letter in response.context["cl"].result_list] == [world.beta_letter.pk]
    response = customer_centre.get(LETTERS_URL, {"posted": "yes"})
    assert [letter.pk for letter in response.context["cl"].result_list] == [world.acme_letter.pk]


# Billing, plans, the audit log itself ------------------------------------------------------------


def test_billing_export_returns_csv(make_staff, world):
    month = clock.today().strftime("%Y-%m")
    with time_machine.travel(tokyo_time(clock.add_months(clock.today().replace(day=1), 1), 10), tick=False):
        sales = make_staff("sales")  # once the month is over (rules.md, monthly fee)
        response = sales.post(BILLING_URL, {"month": month})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert is_no_store(response)
    assert response["Content-Disposition"] == f'attachment; filename="billing-{month}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_HEADER
    numbers = sorted(row[CSV_HEADER.index("number")] for row in rows[1:])
    assert numbers[:2] == ["05000000000", "05000000001"] and "05000000003" in numbers and "05000000004" in numbers
    entry = the_one("billing.exported")
    by_staff(entry, sales)
    assert entry.target == month


def test_billing_export_refuses_a_bad_month(sales, world):
    response = sales.post(BILLING_URL, {"month": "2026-13"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert error_list_text(response).strip()
    assert not audit("billing.exported").exists()


def test_plans_created_and_changed_are_audited(superuser, world):
    response = superuser.post(
        "/staff/accounts/plan/add/",
        {
            "code": "business",
            "name": "ビジネスプラン",
            "monthly_fee_per_number": "440",
            "is_active": "on",
            "_save": "1",
        },
    )
    assert response.status_code == 302, error_list_text(response)
    plan = Plan.objects.get(code="business")
    by_staff(the_one("plan.created", target="business"), superuser)
    response = superuser.post(
        f"/staff/accounts/plan/{plan.pk}/change/",
        {
            "code": "business",
            "name": "ビジネスプラン",
            "monthly_fee_per_number": "480",
            "is_active": "on",
            "_save": "1",
        },
    )
    assert response.status_code == 302, error_list_text(response)
    entry = the_one("plan.changed", target="business")
    by_staff(entry, superuser)
    # The entry says what changed (the field, by name or label).
    assert "monthly" in json.dumps(entry.detail, ensure_ascii=False).lower()
    assert Plan.objects.get(pk=plan.pk).monthly_fee_per_number == 480


def test_changing_a_role_is_audited(superuser, roles):
    """Granting a role a permission is a staff action like any other (invariant 8, rules.md)."""
    group = Group.objects.get(name="auditor")
    response = superuser.get(f"/staff/auth/group/{group.pk}/change/")
    data = form_data(response, "group_form")
    extra = Permission.objects.get(content_type__app_label="accounts", codename="view_customer")
    current = data.get("permissions", [])
    data["permissions"] = [*(current if isinstance(current, list) else [current]), str(extra.pk)]
    data["_save"] = "1"
    response = superuser.post(f"/staff/auth/group/{group.pk}/change/", data)
    assert response.status_code == 302, error_list_text(response)
    assert group.permissions.filter(pk=extra.pk).exists()
    entries = AuditEntry.objects.filter(actor_user=superuser.user).exclude(action__startswith="staff.login")
    assert entries.exists(), "granting a role a permission leaves no audit entry"


def test_auditor_exports_the_selected_entries_as_csv(auditor, world):
    ids = list(AuditEntry.objects.filter(action="application.placed").values_list("pk", flat=True))
    response = changelist_action(auditor, "/staff/audit/auditentry/", "export_csv", ids)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == [ja("when"), ja("actor kind"), ja("actor name"), ja("from"), ja("action"), ja("action code")]
    assert sorted(row[5] for row in rows[1:]) == ["application.placed"] * len(ids)
    assert {row[6] for row in rows[1:]} == {"acme-tokyo", world.beta.selfcare_id}


def test_given_a_typed_id_a_spreadsheet_would_run_when_the_audit_log_is_exported_then_no_cell_is_a_formula(
    auditor, world, client
):
    client.post("/login/", {"selfcare_id": '=HYPERLINK("http://x.invalid")', "password": "x" * 16})
    client.post("/login/", {"selfcare_id": "acme-tokyo", "password": "=cmd|' /C calc'!A0 but long"})
    ids = list(AuditEntry.objects.values_list("pk", flat=True))

    response = changelist_action(auditor, "/staff/audit/auditentry/", "export_csv", ids)

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "@", "\t", "\r"}]
    assert "HYPERLINK" not in response.content.decode()  # an unknown ID is not kept as typed


def test_marking_letters_posted_asks_first_what_and_how_many_then_records_only_on_the_answer(customer_centre, world):
    letter = world.beta_letter
    confirm_printed(customer_centre, _print(customer_centre, letter))
    already = world.acme_letter  # posted in the world already

    asked = changelist_action(customer_centre, LETTERS_URL, "mark_posted", [letter.pk, already.pk])

    page = html(asked)
    assert asked.status_code == 200 and ja("Mark these letters as posted?") in page
    assert ja("Letters to be recorded as posted today: %(n)s. Nothing has been recorded yet.", n=1) in page
    assert ja("Already recorded as posted, and left as they are: letters %(ids)s.", ids=str(already.pk)) in page
    assert world.beta.contract_name in page and ja("Record as posted: %(n)s", n=1) in page
    assert Letter.objects.get(pk=letter.pk).posted_at is None
    assert not audit("letter.posted", target=f"letter:{letter.pk}").exists()
    form = form_data(asked, None)
    assert form["post"] == "yes" and sorted(form["_selected_action"]) == sorted([str(letter.pk), str(already.pk)])

    answered = customer_centre.post(LETTERS_URL, form)

    assert answered.status_code == 302
    assert Letter.objects.get(pk=letter.pk).posted_at is not None
    assert audit("letter.posted", target=f"letter:{letter.pk}").count() == 1
