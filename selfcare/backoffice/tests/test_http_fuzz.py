"""Over real HTTP, no input to the staff site gives a 500 or a stack trace.

The same browser-like session as the portal's HTTP fuzzing (selfcare/portal/tests/test_http_fuzz.py),
logged in as a superuser who passed both steps over HTTP: the password on /staff/login/, then
the authenticator's code on /staff/otp/. Into every search box, list filter, form and URL of
the staff site goes any text, any bytes, huge numbers and huge strings, with fields left out or
repeated. Every response must be below 500 and free of a traceback; a refused value shows a
message, and nothing is recorded by it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from selfcare.accounts.models import Customer, User
from selfcare.backoffice.tests.conftest import STAFF_PASSWORD, form_data, totp_token
from selfcare.inventory.models import PhoneNumber
from selfcare.letters.models import Letter
from selfcare.orders.models import Cancellation
from selfcare.portal.tests.test_http_fuzz import (
    HTTP_FUZZ,
    Browser,
    altered,
    any_bytes,
    any_text,
    apply_changes,
    form,
    junk,
    last,
    now_and_then,
    numberish,
    path_of,
    refused_whole,
    served_as_in_production,
    shows_a_message,
)

# The portal's settings with fewer examples: the staff pages are heavier (the whole file stays near half a minute).
STAFF_FUZZ = hypothesis_settings(HTTP_FUZZ, max_examples=50)

# Values of the staff site's own kinds ------------------------------------------------------------------

dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "2026-13-01",
            "10000-01-01",
            "-1-01-01",
            "2026/11/24",
            "２０２６-１１-２４",
            "20261124",
            "2026-11-24T25:00",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
        ]
    ),
)
months = st.one_of(
    st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=13)).map(
        lambda ym: f"{ym[0]:04d}-{ym[1]:02d}"
    ),
    st.sampled_from(["9999-12", "0001-01", "2026-11", "2026-1", "１９９９-０１", "2026-11-01"]),
)
# Near-valid 050 numbers in a small block (so a range of them stays small), typed in several ways.
near_numbers = st.integers(min_value=0, max_value=300).flatmap(
    lambda n: st.sampled_from(
        [
            f"0501000{n:04d}",
            f"050-1000-{n:04d}",
            f"０５０１０００{n:04d}".translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            f"0501000{n:04d}0",
            f" 0501000{n:04d} ",
        ]
    )
)
staff_values: SearchStrategy[Any] = st.one_of(junk, dates, numberish)


def staff_log_in(base: str, user: User, device: TOTPDevice) -> Browser:
    """Both staff login steps over HTTP, as the login page posts them: the password, then the authenticator's code."""
    browser = Browser(base)
    try:
        response = browser.post(
            "/staff/login/?next=/staff/",
            [("username", user.username), ("password", STAFF_PASSWORD), ("next", "/staff/")],
        )
        assert path_of(response) == "/staff/otp/", response.text
        response = browser.post("/staff/otp/", [("token", totp_token(device))])
        assert path_of(response) == "/staff/", response.text
    except BaseException:
        browser.close()
        raise
    return browser


@pytest.fixture
def staff_site(live_server, transactional_db, world) -> Iterator[str]:
    """The live server's address, with the back office's data (customers, numbers, letters, a cancellation)."""
    with served_as_in_production(live_server) as url:
        yield url


@pytest.fixture
def admin_user(staff_site) -> tuple[User, TOTPDevice]:
    user = User.objects.create_user(
        username="fuzz-admin", email="admin@example.com", password=STAFF_PASSWORD, is_staff=True, is_superuser=True
    )
    return user, TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.fixture
def admin_browser(staff_site, admin_user) -> Iterator[Browser]:
    """A superuser past both login steps, over HTTP; every example of a test reuses the session."""
    with staff_log_in(staff_site, *admin_user) as browser:
        yield browser


def staff_page_shown(response) -> None:
    """A page of the staff site or its own 4xx page: never blank."""
    assert response.status_code in (200, 400, 403, 404, 414), response.status_code
    assert response.text.strip()


# The registered models and what their change lists understand ----------------------------------------------

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
CHANGELISTS = [f"/staff/{model._meta.app_label}/{model._meta.model_name}/" for model, _ in MODEL_ADMINS]


def _filter_names(model_admin: admin.ModelAdmin) -> list[str]:
    names: list[str] = []
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, type) and hasattr(entry, "parameter_name"):
            names.append(entry.parameter_name)
        else:  # (field, FilterClass)
            names.append(entry[0])
    if model_admin.date_hierarchy:
        names.append(model_admin.date_hierarchy)
    return names


LOOKUPS = ["", "__exact", "__id__exact", "__gte", "__lt", "__isnull", "__in", "__year", "__month", "__day", "__regex"]
FILTER_PARAMS = {
    url: sorted({name + lookup for name in _filter_names(model_admin) for lookup in LOOKUPS})
    for url, (_model, model_admin) in zip(CHANGELISTS, MODEL_ADMINS, strict=True)
}
CHANGELIST_PARAMS = ["q", "o", "p", "all", "e", "_to_field", "_popup", "_changelist_filters", "_facets"]


# 1. Search boxes ---------------------------------------------------------------------------------------------


@STAFF_FUZZ
@given(changelist=st.sampled_from(CHANGELISTS), q=st.one_of(junk, near_numbers))
@example(changelist="/staff/accounts/customer/", q=b"\x00")
@example(changelist="/staff/accounts/customer/", q="０５０-００００-０００１")
@example(changelist="/staff/inventory/phonenumber/", q="x" * 20_000)
@example(changelist="/staff/audit/auditentry/", q=str(10**30))
def test_given_any_search_when_searching_a_change_list_then_a_page_not_a_server_error(admin_browser, changelist, q):
    response = admin_browser.get(changelist, [("q", q)])

    staff_page_shown(response)
    if response.status_code == 200:
        assert 'id="changelist"' in response.text or shows_a_message(response), response.text


# 2. List filters, ordering, paging and the date drill-down in the query string -----------------------------------


@st.composite
def changelist_queries(draw: st.DrawFn) -> tuple[str, list[tuple[str, Any]]]:
    changelist = draw(st.sampled_from(CHANGELISTS))
    names = st.one_of(st.sampled_from(FILTER_PARAMS[changelist] or ["q"]), st.sampled_from(CHANGELIST_PARAMS), any_text)
    values = st.one_of(staff_values, st.sampled_from(["1", "0", "True", "False", "yes", "no", "active", "basic"]))
    return changelist, draw(st.lists(st.tuples(names, values), max_size=5))


@STAFF_FUZZ
@given(query=changelist_queries())
@example(query=("/staff/orders/application/", [("placed_at__year", "9999")]))
@example(query=("/staff/orders/application/", [("placed_at__year", str(10**30))]))
@example(query=("/staff/orders/application/", [("placed_at__year", "1")]))
@example(query=("/staff/orders/application/", [("placed_at__year", "2026"), ("placed_at__month", "12")]))
@example(query=("/staff/orders/cancellation/", [("recorded_at__year", "9999"), ("recorded_at__month", "12")]))
@example(query=("/staff/audit/auditentry/", [("at__year", "9999"), ("at__month", "12"), ("at__day", "31")]))
@example(query=("/staff/audit/auditentry/", [("at__gte", "0001-01-01")]))
@example(query=("/staff/audit/auditentry/", [("at__lt", "9999-12-31 23:59:59")]))
@example(query=("/staff/accounts/customer/", [("status__exact", b"\x00")]))
@example(query=("/staff/accounts/customer/", [("plan__id__exact", str(10**30))]))
@example(query=("/staff/orders/cancellation/", [("effective_on__gte", "0001-01-01")]))
@example(query=("/staff/letters/letter/", [("posted", b"\x00"), ("o", "-99.x")]))
@example(query=("/staff/inventory/phonenumber/", [("p", str(10**30)), ("all", "")]))
def test_given_any_filters_in_the_query_string_when_listing_then_a_page_not_a_server_error(admin_browser, query):
    changelist, params = query

    response = admin_browser.get(changelist, params)

    staff_page_shown(response)


# 3. Creating a customer --------------------------------------------------------------------------------------

new_ids = st.one_of(junk, st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True))
emails = st.one_of(junk, st.emails().map(str), st.just("new@example.com"))


NEW_CUSTOMER = [
    ("selfcare_id", "FRESH"),  # a self-care ID not taken yet
    ("email", "new@example.com"),
    ("contract_name", "新規株式会社"),
    ("postal_code", "100-0001"),
    ("address", "東京都千代田区千代田1-1"),
    ("plan", "PLAN"),
    ("addition_limit", "10"),
]
limits = st.one_of(numberish, st.integers(min_value=-5, max_value=200_000).map(str))
fresh_ids = itertools.count(1)


@STAFF_FUZZ
@given(
    fields=st.one_of(
        form(
            selfcare_id=new_ids,
            email=emails,
            contract_name=st.one_of(junk, st.just("新規株式会社")),
            postal_code=st.one_of(junk, st.just("100-0001")),
            address=junk,
            plan=st.one_of(junk, st.just("PLAN")),
            addition_limit=st.one_of(junk, limits),
        ),
        altered(NEW_CUSTOMER, st.one_of(new_ids, emails, limits, st.just("PLAN"))),
    )
)
@example(
    fields=[
        ("selfcare_id", "new-customer"),
        ("email", "new@example.com"),
        ("contract_name", "新規株式会社"),
        ("plan", "PLAN"),
        ("addition_limit", str(10**30)),
    ]
)
@example(
    fields=[
        ("selfcare_id", "new-customer"),
        ("email", "new@example.com"),
        ("contract_name", "x" * 100_000),
        ("plan", "PLAN"),
    ]
)
@example(fields=[("selfcare_id", b"\x00"), ("email", b"\xff"), ("plan", "1e9")])
def test_given_any_fields_when_creating_a_customer_then_created_or_a_message(admin_browser, world, fields):
    stand_ins = {"PLAN": str(world.plan.pk), "FRESH": f"fresh-{next(fresh_ids)}"}
    fields = [(name, stand_ins.get(value, value) if isinstance(value, str) else value) for name, value in fields]
    before = Customer.objects.count()

    response = admin_browser.post("/staff/accounts/customer/add/", fields)

    staff_page_shown(response)
    if refused_whole(response, fields):
        assert Customer.objects.count() == before
        return
    event("customer: created" if "customer-created" in response.text else "customer: refused")
    if "customer-created" in response.text:
        assert Customer.objects.count() == before + 1
    else:
        assert Customer.objects.count() == before
        assert 'class="errorlist' in response.text or 'class="errornote' in response.text, response.text


# 4. Every other add and change form, filled in as shown, then with fields changed, left out or repeated ---------


@pytest.fixture
def form_pages(world) -> list[str]:
    # Another staff member's authenticator: changing the superuser's own would end this session's second factor.
    other = User.objects.create_user(username="fuzz-other", password=STAFF_PASSWORD, is_staff=True)
    device = TOTPDevice.objects.create(user=other, name="authenticator", confirmed=True)
    clerk = User.objects.create_user(username="fuzz-clerk", password=STAFF_PASSWORD, is_staff=True)
    return [
        f"/staff/accounts/customer/{world.acme.pk}/change/",
        "/staff/accounts/plan/add/",
        f"/staff/accounts/plan/{world.premium.pk}/change/",
        "/staff/accounts/user/add/",
        f"/staff/accounts/user/{clerk.pk}/change/",  # staff accounts only: a customer's login is on its page
        f"/staff/accounts/user/{other.pk}/password/",
        "/staff/auth/group/add/",
        "/staff/otp_totp/totpdevice/add/",
        f"/staff/otp_totp/totpdevice/{device.pk}/change/",
    ]


@STAFF_FUZZ
@given(data=st.data(), page=st.integers(min_value=0, max_value=8))
def test_given_any_change_to_a_form_when_saved_then_saved_or_a_message(admin_browser, form_pages, data, page):
    url = form_pages[page]
    shown = admin_browser.get(url)
    assert shown.status_code == 200, url
    fields: list[tuple[str, Any]] = [
        (name, value)
        for name, values in form_data(shown).items()
        if name != "csrfmiddlewaretoken"
        for value in (values if isinstance(values, list) else [values])
    ]
    names = sorted({name for name, _ in fields}) or ["name"]
    # Which field by its place, not its name: the fields shown depend on what earlier examples saved.
    change = st.tuples(st.sampled_from(["set", "drop", "repeat"]), st.integers(min_value=0), staff_values)
    changes = data.draw(st.lists(change, max_size=4), label="changes")
    fields = apply_changes(fields, [(how, names[place % len(names)], value) for how, place, value in changes])

    response = admin_browser.post(url, fields)

    staff_page_shown(response)
    if refused_whole(response, fields):
        return
    event(f"form {page}: {'refused' if path_of(response) == url else 'saved'}")
    if response.status_code == 200 and path_of(response) == url:  # not saved: the form again, saying why
        assert shows_a_message(response), response.text


@STAFF_FUZZ
@given(
    fields=st.one_of(
        form(name=st.one_of(junk, st.just("a role")), permissions=st.one_of(numberish, junk)),
        altered([("name", "a role"), ("permissions", "1"), ("permissions", "2")], numberish),
    )
)
@example(fields=[("name", "a role"), ("permissions", str(2**63))])
@example(fields=[("name", "a role"), ("permissions", "1"), ("permissions", str(-(10**30)))])
@example(fields=[("name", "a role"), ("permissions", "1" * 5_000)])
def test_given_any_ids_when_choosing_several_rows_then_saved_or_a_message(admin_browser, fields):
    response = admin_browser.post("/staff/auth/group/add/", fields)

    staff_page_shown(response)
    if refused_whole(response, fields):
        return
    if path_of(response) == "/staff/auth/group/add/":  # not saved: the form again, saying why
        assert shows_a_message(response), response.text


# 5. Importing numbers -----------------------------------------------------------------------------------------

csv_files = st.one_of(
    st.none(),  # the range alone, about half the time
    st.none(),
    st.tuples(st.one_of(any_text, st.just("numbers.csv")), any_bytes),
    st.tuples(st.just("numbers.csv"), st.lists(st.one_of(near_numbers, any_text), max_size=5).map("\n".join)),
)


A_RANGE = [("first", "05010000000"), ("last", "05010000009"), ("available_from", "2030-01-01"), ("confirm", "Import")]


@STAFF_FUZZ
@given(
    fields=st.one_of(
        form(
            first=st.one_of(junk, near_numbers),
            last=st.one_of(junk, near_numbers),
            available_from=st.one_of(junk, dates),
            confirm=st.just("Import"),
        ),
        altered(A_RANGE, st.one_of(near_numbers, dates, junk)),
    ),
    csv_file=csv_files,
)
@example(fields=[("first", "05010000000"), ("last", "05010000300"), ("available_from", "9999-12-31")], csv_file=None)
@example(fields=[("first", "05010000300"), ("last", "05010000000")], csv_file=None)
@example(fields=[("first", "05000000000"), ("last", "05099999999")], csv_file=None)
@example(fields=[("first", b"\x00"), ("last", "x" * 100_000)], csv_file=("\x00.csv", b"\xff\xfe\x00"))
@example(fields=[("confirm", "Import")], csv_file=("numbers.csv", "number\n0501000-0001\n０５０１０００００２"))
def test_given_any_import_when_posted_then_imported_only_when_confirmed_and_valid(admin_browser, fields, csv_file):
    before = PhoneNumber.objects.count()
    files = None
    if csv_file is not None:
        name, content = csv_file
        files = [("csv_file", (name, content.encode() if isinstance(content, str) else content, "text/csv"))]

    response = admin_browser.post("/staff/inventory/phonenumber/import/", fields, files=files)

    staff_page_shown(response)
    if refused_whole(response, fields, multipart=files is not None):
        assert PhoneNumber.objects.count() == before
        return
    imported = path_of(response) == "/staff/inventory/phonenumber/"
    previewed = "<h2>プレビュー</h2>" in response.text  # what an import would add and skip
    event("import: imported" if imported else "import: previewed" if previewed else "import: refused")
    if imported:  # back on the list, saying how many
        assert any(name == "confirm" for name, _ in fields)
        assert 'class="messagelist' in response.text
    else:
        assert PhoneNumber.objects.count() == before
        assert previewed or shows_a_message(response), response.text


# 6. A paper cancellation --------------------------------------------------------------------------------------


# Acme holds 05000000000-002 (002 already cancelled), Beta 003-004.
acme_numbers_typed = st.sampled_from(
    ["05000000000", "050-0000-0001", "０５０００００００００ 05000000001", "05000000002", "05000000003", "05000000000,"]
)


A_CANCELLATION = [
    ("customer", "ACME"),
    ("numbers", "05000000000"),
    ("received_on", "2030-01-01"),
    ("note", ""),
    ("confirm", "1"),
]


@STAFF_FUZZ
@given(
    fields=st.one_of(
        form(
            customer=st.one_of(junk, numberish, st.sampled_from(["ACME", "BETA"])),
            numbers=st.one_of(junk, acme_numbers_typed),
            received_on=st.one_of(junk, dates),
            effective_on=st.one_of(junk, dates),
            note=junk,
            confirm=st.sampled_from(["1", ""]),
        ),
        altered(A_CANCELLATION, st.one_of(acme_numbers_typed, dates, numberish, junk)),
    ),
    prefill=st.one_of(junk, numberish),
)
@example(
    fields=[("customer", "ACME"), ("numbers", "05000000000"), ("received_on", "9999-12-31")],
    prefill=str(10**30),
)
@example(
    fields=[("customer", "ACME"), ("numbers", "05000000001"), ("received_on", "0001-01-01")],
    prefill=b"\x00",
)
@example(
    fields=[("customer", str(10**30)), ("numbers", "05000000000\n" * 5_000), ("received_on", "2026-01-01")],
    prefill="１",
)
def test_given_any_cancellation_form_when_posted_then_recorded_only_when_valid(admin_browser, world, fields, prefill):
    ids = {"ACME": world.acme.selfcare_id, "BETA": world.beta.selfcare_id}
    fields = [(name, ids.get(value, value) if isinstance(value, str) else value) for name, value in fields]
    before = Cancellation.objects.count()

    shown = admin_browser.get("/staff/orders/cancellation/add/", [("customer", prefill)])
    response = admin_browser.post("/staff/orders/cancellation/add/", fields)

    staff_page_shown(shown)
    staff_page_shown(response)
    if refused_whole(response, fields):
        assert Cancellation.objects.count() == before
        return
    recorded = re.fullmatch(r"/staff/orders/cancellation/\d+/change/", path_of(response))
    confirming = 'name="confirm"' in response.text  # the confirmation page: what would change, nothing yet
    event(
        "cancellation: recorded" if recorded else "cancellation: confirming" if confirming else "cancellation: refused"
    )
    if recorded:
        assert any(name == "confirm" for name, _ in fields)
        assert Cancellation.objects.count() == before + 1
    else:
        assert Cancellation.objects.count() == before
        assert confirming or shows_a_message(response), response.text


# 7. Printing letters again: the reason ---------------------------------------------------------------------------


A_REPRINT = [("action", "print_letters"), ("_selected_action", "PRINTED"), ("index", "0"), ("reason", "紛失のため")]


@STAFF_FUZZ
@given(
    fields=st.one_of(
        form(
            reason=st.one_of(junk, st.just("お客様が紛失されたため")),
            _selected_action=st.one_of(st.just("PRINTED"), junk, numberish),
            action=st.one_of(st.just("print_letters"), junk),
            index=st.one_of(st.just("0"), junk),
            select_across=st.sampled_from(["0", "1"]),
        ),
        altered(A_REPRINT, st.one_of(junk, numberish, st.sampled_from(["mark_posted", "delete_selected", "1"]))),
    )
)
@example(fields=[("action", "print_letters"), ("_selected_action", "PRINTED"), ("reason", b"\x00")])
@example(fields=[("action", "print_letters"), ("_selected_action", "PRINTED"), ("reason", "r" * 100_000)])
@example(fields=[("action", "print_letters"), ("_selected_action", "abc"), ("reason", "x")])
@example(fields=[("action", "print_letters"), ("_selected_action", str(10**30)), ("reason", "x")])
@example(fields=[("action", "print_letters"), ("_selected_action", "PRINTED"), ("reason", "お客様が紛失されたため")])
def test_given_any_reprint_reason_when_printing_again_then_a_pdf_or_a_message(admin_browser, world, fields):
    printed = str(world.acme_letter.pk)
    fields = [(name, printed if value == "PRINTED" else value) for name, value in fields]
    before = Letter.objects.get(pk=world.acme_letter.pk).print_count

    response = admin_browser.post("/staff/letters/letter/", fields)

    staff_page_shown(response)
    if refused_whole(response, fields):
        return
    made = "data:application/pdf;base64," in response.text
    asked = 'name="reason"' in response.text
    event("reprint: PDF made" if made else "reprint: asked why" if asked else "reprint: the list")
    # Only the operator's confirmation records a print: making the PDF never does.
    assert Letter.objects.get(pk=world.acme_letter.pk).print_count == before
    if not made:
        if asked:  # the page asking why, saying what was wrong with a reason given
            assert 'class="errorlist' in response.text or not any(name == "reason" for name, _ in fields)
        else:  # the list, saying why nothing was printed (or just the list, when no action was asked for)
            assert shows_a_message(response) or 'id="changelist"' in response.text, response.text


# 8. The billing export's month -------------------------------------------------------------------------------------


@STAFF_FUZZ
@given(fields=form(month=st.one_of(junk, months)))
@example(fields=[("month", "9999-12")])
@example(fields=[("month", "0001-01")])
@example(fields=[("month", b"\x00")])
def test_given_any_month_when_exporting_billing_then_a_csv_or_a_message(admin_browser, fields):
    response = admin_browser.post("/staff/orders/application/billing/", fields)

    staff_page_shown(response)
    if refused_whole(response, fields):
        return
    event("billing: csv" if response.headers.get("Content-Type", "").startswith("text/csv") else "billing: refused")
    if response.headers.get("Content-Type", "").startswith("text/csv"):
        assert response.status_code == 200
    else:
        assert 'class="errorlist' in response.text, response.text


# 9. The staff login and the second factor ---------------------------------------------------------------------------


@STAFF_FUZZ
@given(
    fields=form(
        username=st.one_of(junk, st.just("ADMIN")),
        password=st.one_of(junk, st.just(STAFF_PASSWORD)),
        next=st.one_of(junk, st.sampled_from(["/staff/", "//evil.example/", "http://evil.example/"])),
    ),
    token=st.lists(st.one_of(junk, st.just("CURRENT"), st.just("000000")), max_size=3),
    next_query=st.one_of(junk, st.sampled_from(["/staff/letters/letter/", "//evil.example/", "https://evil.example/"])),
)
@example(
    fields=[("username", "ADMIN"), ("password", STAFF_PASSWORD)],
    token=["CURRENT"],
    next_query="//evil.example/",
)
@example(fields=[("username", b"\x00"), ("password", "x" * 100_000)], token=[b"\x00"], next_query=b"\xff")
def test_given_any_login_and_code_when_posted_to_the_staff_login_then_a_message_not_a_server_error(
    staff_site, admin_user, fields, token, next_query
):
    user, device = admin_user
    cache.clear()  # the per-IP throttle would hide the deeper paths
    User.objects.filter(pk=user.pk).update(consecutive_failures=0, locked_until=None)
    fields = [(name, user.username if value == "ADMIN" else value) for name, value in fields]

    with Browser(staff_site) as browser:
        response = browser.post("/staff/login/", fields)

        staff_page_shown(response)
        if refused_whole(response, fields):
            return
        event(f"staff login: {'refused' if path_of(response) == '/staff/login/' else 'password right'}")
        if path_of(response) == "/staff/login/":  # refused, saying so
            assert shows_a_message(response), response.text
            return
        # Only the right name and password get past the first step (the form strips and normalises the name).
        assert unicodedata.normalize("NFKC", last(fields, "username") or "").strip() == user.username
        assert last(fields, "password") == STAFF_PASSWORD
        for typed in token:
            device.refresh_from_db()
            sent = totp_token(device) if typed == "CURRENT" else typed
            response = browser.post("/staff/otp/?" + quote_query(next_query), [("token", sent)])
            staff_page_shown(response)
            if path_of(response) == "/staff/otp/" and response.status_code == 200:  # the code refused, saying so
                assert shows_a_message(response), response.text


def quote_query(value: Any) -> str:
    return "next=" + quote(value, safe="")


# 10. Object ids and other path parameters ----------------------------------------------------------------------

object_ids = st.one_of(
    any_bytes.map(lambda raw: quote(raw, safe="")),
    any_text.map(lambda text: quote(text, safe="")),
    numberish.map(lambda text: quote(text, safe="")),
    st.sampled_from(["%00", "0", "-1", str(10**30), "1e9", "05000000000", "0500000000%00", "x" * 60_000]),
)


@STAFF_FUZZ
@given(
    changelist=st.sampled_from(CHANGELISTS),
    object_id=object_ids,
    view=st.sampled_from(["change/", "history/", "delete/", "password/", "config/", "", "x/"]),
)
@example(changelist="/staff/inventory/phonenumber/", object_id="%00", view="change/")
@example(changelist="/staff/inventory/phonenumber/", object_id="0500000000%00", view="history/")
@example(changelist="/staff/accounts/customer/", object_id=str(10**30), view="change/")
@example(changelist="/staff/accounts/user/", object_id="%ff", view="password/")
def test_given_any_object_id_when_opening_an_object_page_then_not_found_not_a_server_error(
    admin_browser, changelist, object_id, view
):
    response = admin_browser.get(f"{changelist}{object_id}/{view}")

    staff_page_shown(response)


@STAFF_FUZZ
@given(model=st.sampled_from([model for model, _ in MODEL_ADMINS]), object_id=object_ids)
@example(model=PhoneNumber, object_id="%00")
@example(model=PhoneNumber, object_id="05000000000")
def test_given_any_object_id_when_opening_its_site_link_then_not_found_not_a_server_error(
    admin_browser, model, object_id
):
    content_type = ContentType.objects.get_for_model(model)

    response = admin_browser.get(f"/staff/r/{content_type.pk}/{object_id}/")

    staff_page_shown(response)


@STAFF_FUZZ
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["term", "app_label", "model_name", "field_name", "page"]),
            st.one_of(junk, st.sampled_from(["accounts", "customer", "plan", "orders", "cancellation", "1", "0"])),
        ),
        max_size=6,
    ),
    page=st.sampled_from(
        [
            "/staff/autocomplete/",
            "/staff/jsi18n/",
            "/staff/",
            "/staff/letters/letter/print/",
            "/staff/letters/letter/print/stream/",
            "/staff/orders/application/billing/",
            "/staff/inventory/phonenumber/import/",
            "/staff/otp/",
            "/staff/logout/",
        ]
    ),
)
@example(
    params=[("term", b"\x00"), ("app_label", "orders"), ("model_name", "cancellation"), ("field_name", "customer")],
    page="/staff/autocomplete/",
)
def test_given_any_query_when_opening_staff_utility_pages_then_no_server_error(admin_browser, params, page):
    response = admin_browser.get(page, params)

    assert response.status_code in (200, 400, 403, 404, 405, 414), response.status_code  # 405: log out is a POST
    assert response.text.strip() or response.status_code == 405


# Every relation the autocomplete answers: (app_label, model_name, field_name) of a field whose rows are searchable.
AUTOCOMPLETE_SOURCES = sorted(
    (model._meta.app_label, model._meta.model_name, field.name)
    for model, _ in MODEL_ADMINS
    for field in model._meta.get_fields()
    if field.is_relation
    and field.concrete
    and getattr(admin.site._registry.get(field.related_model), "search_fields", ())
)


@STAFF_FUZZ
@given(
    source=st.sampled_from(AUTOCOMPLETE_SOURCES),
    term=st.one_of(junk, near_numbers),
    page=now_and_then(numberish, st.just("1"), one_in=4),
)
@example(source=("orders", "cancellation", "customer"), term=b"\x00", page="1")
@example(source=("orders", "issuedline", "number"), term="050", page=str(10**30))
def test_given_any_term_when_autocompleting_a_relation_then_choices_or_a_refusal(admin_browser, source, term, page):
    app_label, model_name, field_name = source
    params = [("app_label", app_label), ("model_name", model_name), ("field_name", field_name)]

    response = admin_browser.get("/staff/autocomplete/", [*params, ("term", term), ("page", page)])

    assert response.status_code in (200, 403, 404, 414), response.status_code
    event(f"autocomplete: {response.status_code}")
    if response.status_code == 200:
        assert response.json().keys() == {"results", "pagination"}


def test_the_staff_site_is_logged_in_over_http(admin_browser, world):
    # The fixtures above really reach the pages they fuzz: a superuser past the second factor.
    response = admin_browser.get(f"/staff/accounts/customer/{world.acme.pk}/change/")

    assert response.status_code == 200
    assert world.acme.contract_name in response.text
