"""Staff searches: a term is recognised for what it is and finds the same rows on every list that searches,
through queries an index serves (on PostgreSQL: no sequential scan of a big table, checked with the
planner told to avoid them); lists over big tables count only up to a cap and say so."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.core.exceptions import EmptyResultSet
from django.db import connection

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.admin.base import CappedPaginator
from selfcare.backoffice.search import Kind, recognise
from selfcare.backoffice.tests.conftest import html, ja, messages_of
from selfcare.orders.models import IssuedLine


@pytest.mark.parametrize(
    ("typed", "kind", "text"),
    [
        ("05012345678", Kind.NUMBER, "05012345678"),
        ("050-1234-5678", Kind.NUMBER, "05012345678"),
        (" 050 1234 5678 ", Kind.NUMBER, "05012345678"),
        ("０５０－１２３４－５６７８", Kind.NUMBER, "05012345678"),
        ("050ー1234ー5678", Kind.NUMBER, "05012345678"),
        ("0501234", Kind.NUMBER_PREFIX, "0501234"),
        ("050-1234", Kind.NUMBER_PREFIX, "0501234"),
        ("05", Kind.NUMBER_PREFIX, "05"),
        ("09012345678", Kind.WORD, "09012345678"),  # not one of ours: perhaps an ID or a name
        ("050123456789", Kind.WORD, "050123456789"),  # one digit too many
        ("12345", Kind.WORD, "12345"),
        ("261124-7KQ3M9XA", Kind.APPLICATION, "261124-7KQ3M9XA"),
        ("261124-7kq3", Kind.APPLICATION, "261124-7KQ3"),
        ("２６１１２４－７ＫＱ", Kind.APPLICATION, "261124-7KQ"),
        ("info@acme.example", Kind.EMAIL, "info@acme.example"),
        ("acme-tokyo", Kind.WORD, "acme-tokyo"),
        ("アクメ", Kind.WORD, "アクメ"),
        ("", Kind.NOTHING, ""),
        ("  \x00 ", Kind.NOTHING, ""),
    ],
)
def test_a_term_is_recognised_for_what_it_is(typed, kind, text):
    term = recognise(typed)
    assert (term.kind, term.text) == (kind, text)


def test_a_number_prefix_is_a_range_of_whole_numbers():
    assert recognise("050-1234").number_range == ("05012340000", "05012349999")
    assert recognise("05012345678").number_range == ("05012345678", "05012345678")


LISTS = {
    "customers": "/staff/accounts/customer/",
    "inventory": "/staff/inventory/phonenumber/",
    "lines": "/staff/orders/issuedline/",
    "cancellations": "/staff/orders/cancellation/",
    "applications": "/staff/orders/application/",
    "letters": "/staff/letters/letter/",
    "audit": "/staff/audit/auditentry/",
}


def _found(staff, url: str, term: str) -> set:
    response = staff.get(url, {"q": term})
    assert response.status_code == 200, (url, term)
    return {obj.pk for obj in response.context["cl"].result_list}


def _terms(world) -> dict[str, str]:
    return {
        "number": "050-0000-0001",
        "number (full width)": "０５０－００００－０００１",
        "number prefix": "050000000",
        "self-care ID": "acme-tokyo",
        "part of the self-care ID": "ME-TOK",
        "application number": world.acme_application.application_number.lower(),
        "start of the application number": world.acme_application.application_number[:10],
        "e-mail": "info@acme-tokyo.example",
        "part of the e-mail": "acme-tokyo.ex",
        "contract name": "アクメ東京",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "number",
        "number (full width)",
        "self-care ID",
        "part of the self-care ID",
        "application number",
        "start of the application number",
        "e-mail",
        "part of the e-mail",
        "contract name",
    ],
)
def test_every_list_finds_the_customers_rows_by_every_kind_of_term(superuser, world, kind):
    term = _terms(world)[kind]
    acme = world.acme
    expected = {
        "customers": {acme.pk},
        "applications": {world.acme_application.pk},
        "letters": {world.acme_letter.pk},
        "cancellations": {world.cancellation.pk},
    }
    if kind.startswith("number"):
        expected["lines"] = {IssuedLine.objects.get(number_id="05000000001").pk}
        expected["inventory"] = {"05000000001"}
        expected["applications"] = {world.acme_application.pk}
        expected["cancellations"] = set()  # the cancellation is of 002, not of 001
    else:
        expected["lines"] = set(IssuedLine.objects.filter(customer=acme).values_list("pk", flat=True))
        expected["inventory"] = set()  # a number list: nothing but numbers is found there
    for name, rows in expected.items():
        assert _found(superuser, LISTS[name], term) == rows, (name, term)
    # The audit log: every entry about the customer is among those found, and none about the other one.
    found = _found(superuser, LISTS["audit"], term)
    about_beta = set(AuditEntry.objects.filter(customer=world.beta).values_list("pk", flat=True))
    assert found and not found & about_beta
    if kind.startswith(("number", "application", "start of the application")):
        # What happened to that number or application: acme's entries about it, not its others (its API key).
        application_number = world.acme_application.application_number
        about_it = AuditEntry.objects.filter(customer=acme, target__startswith=application_number)
        assert set(about_it.values_list("pk", flat=True)) <= found
        assert not AuditEntry.objects.filter(pk__in=found, action="api_key.created").exists()
    else:
        assert set(AuditEntry.objects.filter(customer=acme).values_list("pk", flat=True)) <= found


def test_a_number_prefix_finds_the_lines_and_numbers_starting_with_it(superuser, world):
    assert _found(superuser, LISTS["inventory"], "050-0000-000") == {f"0500000000{n}" for n in range(10)}
    assert _found(superuser, LISTS["lines"], "0500000000") == set(IssuedLine.objects.values_list("pk", flat=True))
    assert _found(superuser, LISTS["customers"], "0500000000") == {world.acme.pk, world.beta.pk}
    assert _found(superuser, LISTS["cancellations"], "050-0000-0002") == {world.cancellation.pk}


def test_a_term_matching_nothing_finds_nothing_anywhere(superuser, world):
    for url in LISTS.values():
        assert _found(superuser, url, "no-such-customer-xyz") == set()


def test_the_audit_log_finds_entries_by_staff_user_and_by_action(superuser, world):
    staff_entry = AuditEntry.objects.create(
        at=world.audit_entry.at, actor_kind="staff", actor_user=superuser.user, actor_label="x", action="plan.changed"
    )
    assert staff_entry.pk in _found(superuser, LISTS["audit"], superuser.user.username)
    posted = set(AuditEntry.objects.filter(action="letter.posted").values_list("pk", flat=True))
    assert posted and posted <= _found(superuser, LISTS["audit"], "letter.posted")
    assert posted <= _found(superuser, LISTS["audit"], ja("Letter posted"))


def search_notes(response) -> list[str]:
    """The warnings a list shows beside its search box about the search it ran (never a queued message)."""
    return [
        unescape(note)
        for note in re.findall(r'<ul class="messagelist search-note"><li class="warning">(.*?)</li>', html(response))
    ]


def test_the_audit_log_says_when_a_word_matches_too_many_customers(superuser, world, monkeypatch):
    monkeypatch.setattr("selfcare.backoffice.search.MAX_CUSTOMERS", 1)
    response = superuser.get(LISTS["audit"], {"q": "株式会社"})  # both customers
    assert response.status_code == 200
    [note] = search_notes(response)
    assert note == ja(
        "More than %(n)s customers match “%(term)s”: the list shows the rows of the first %(n)s. "
        "Type more of the name, ID or address to narrow the search.",
        n="1",
        term="株式会社",
    )


def test_a_big_list_counts_up_to_its_cap_and_says_more_than(superuser, world, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "CAP", 10)
    response = superuser.get(LISTS["inventory"])
    page = html(response)
    cl = response.context["cl"]
    assert cl.result_count_capped and cl.paginator.count == 11 and cl.paginator.num_pages == 1
    assert (
        ja("More than %(cap)s %(name)s: search or filter to narrow the list.")
        % {
            "cap": "10",
            "name": ja("050 numbers"),
        }
        in page
    )
    assert 'class="question' not in page  # no "select all N" of a count it does not know
    small = superuser.get(LISTS["inventory"], {"q": "050-0000-000"}).context["cl"]
    assert small.result_count == 10 and not small.result_count_capped


# --- PostgreSQL: the plans ---------------------------------------------------------------------------------

DISABLED = 1e10  # PostgreSQL's disable_cost: what a path the planner was told to avoid costs it

BIG_TABLES = [
    "accounts_user",
    "accounts_customer",
    "inventory_phonenumber",
    "orders_application",
    "orders_issuedline",
    "orders_cancellation",
    "letters_letter",
    "core_auditentry",
]


def _whole_table_reads(queryset) -> list[str]:
    """The scans of a big table that no index condition narrows, in the plans of a list's page query and of
    its capped count. Sequential and plain index scans are priced out, so the planner reads a table through
    a bitmap of an index condition whenever one can serve the query: what is left is a whole-table read."""
    reads = []
    for query in (queryset[:100], queryset.order_by()[: CappedPaginator.CAP + 1]):
        try:
            sql, params = query.query.sql_with_params()
        except EmptyResultSet:  # a search that cannot match (a word on the number list) asks nothing
            continue
        with connection.cursor() as cursor:
            for method in ("seqscan", "indexscan", "indexonlyscan"):  # bitmap scans need an index condition
                cursor.execute(f"SET LOCAL enable_{method} = off")
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        nodes = [plan[0]["Plan"]]
        if nodes[0]["Total Cost"] >= DISABLED:
            reads.append(f"only a path priced out can answer it (cost {nodes[0]['Total Cost']:.0f})")
        while nodes:
            node = nodes.pop()
            nodes.extend(node.get("Plans", []))
            kind = node["Node Type"]
            if kind == "Bitmap Index Scan" and "Index Cond" not in node:
                reads.append(f"{kind} on {node['Index Name']} without a condition")
            if node.get("Relation Name") in BIG_TABLES and (
                kind == "Seq Scan" or (kind.startswith("Index") and "Index Cond" not in node)
            ):
                reads.append(f"{kind} on {node['Relation Name']} ({node.get('Filter', '')})")
    return reads


@pytest.mark.postgres
@pytest.mark.parametrize("listed", sorted(LISTS))
def test_on_postgresql_every_search_is_served_by_indexes(superuser, world, listed):
    """With sequential scans priced out the planner still reads a big table whole only if no index can
    serve the query: no list's search may do that, for any kind of term."""
    from django.db import transaction

    for kind, term in _terms(world).items():
        response = superuser.get(LISTS[listed], {"q": term})
        assert response.status_code == 200
        with transaction.atomic():
            reads = _whole_table_reads(response.context["cl"].queryset)
            assert not reads, f"{listed}, {kind} ({term}): {reads}"


def test_the_audit_log_by_number_shows_what_happened_to_that_number_not_the_whole_customer(superuser, world):
    login = AuditEntry.objects.create(
        at=world.audit_entry.at,
        actor_kind="customer",
        actor_label="acme-tokyo",
        action="login.succeeded",
        customer=world.acme,
        target="acme-tokyo",
    )
    found = AuditEntry.objects.filter(pk__in=_found(superuser, LISTS["audit"], "050-0000-0002"))
    actions = {entry.action for entry in found}
    assert {"application.placed", "numbers.cancelled", "letter.printed", "letter.posted"} <= actions
    assert login not in found
    by_application = _found(superuser, LISTS["audit"], world.beta_application.application_number)
    assert {entry.action for entry in AuditEntry.objects.filter(pk__in=by_application)} == {"application.placed"}
    assert login.pk not in by_application


# --- found from outside: each of these failed before its fix ------------------------------------------------


def test_a_customer_holding_many_numbers_counts_once_against_the_cap(superuser, world, monkeypatch):
    monkeypatch.setattr("selfcare.backoffice.search.MAX_HOLDERS", 2)
    # Acme's three lines and Beta's two: two customers, within a cap of two (five lines were counted).
    for listed in ("audit", "letters"):
        response = superuser.get(LISTS[listed], {"q": "050-0000-000"})
        assert not search_notes(response), listed
    assert _found(superuser, LISTS["letters"], "050-0000-000") == {world.acme_letter.pk, world.beta_letter.pk}
    monkeypatch.setattr("selfcare.backoffice.search.MAX_CUSTOMERS", 1)
    assert len(search_notes(superuser.get(LISTS["audit"], {"q": "株式会社"}))) == 1


def test_staff_who_may_not_see_customers_cannot_find_them_by_e_mail(inventory_manager, customer_centre, world):
    for term in ("info@acme-tokyo.example", "acme-tokyo.ex", "info@"):
        assert _found(inventory_manager, LISTS["lines"], term) == set(), term
    assert _found(customer_centre, LISTS["lines"], "info@acme-tokyo.example")  # this role sees the address


def test_a_self_care_id_that_looks_like_a_number_is_found(superuser, world, plan):
    from selfcare.testing import CustomerFactory, UserFactory

    digits = CustomerFactory(plan=plan, user=UserFactory(username="0501-2345"), contract_name="数字株式会社")
    assert digits.pk in _found(superuser, LISTS["customers"], "0501-2345")
    assert digits.pk in _found(superuser, LISTS["customers"], "0501")


def test_an_application_number_typed_without_its_hyphen_is_recognised(superuser, world):
    number = world.acme_application.application_number
    assert _found(superuser, LISTS["applications"], number.replace("-", "")) == {world.acme_application.pk}
    assert _found(superuser, LISTS["applications"], number.replace("-", " ").lower()) == {world.acme_application.pk}


def test_an_action_on_all_of_a_capped_list_is_refused(superuser, world, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "CAP", 2)
    entry = AuditEntry.objects.order_by("pk").first()
    response = superuser.post(
        LISTS["audit"],
        {"action": "export_csv", "select_across": "1", "index": "0", "_selected_action": [entry.pk]},
    )
    assert response.status_code == 302 and "attachment" not in response.get("Content-Disposition", "")
    monkeypatch.setattr(CappedPaginator, "CAP", 10_000)
    allowed = superuser.post(
        LISTS["audit"],
        {"action": "export_csv", "select_across": "1", "index": "0", "_selected_action": [entry.pk]},
    )
    assert "attachment" in allowed.get("Content-Disposition", "")


def test_the_audit_csv_writes_the_detail_in_words_with_formulas_defused(superuser, world):
    import csv
    import io

    entry = AuditEntry.objects.create(
        at=world.audit_entry.at,
        actor_kind="staff",
        actor_label="x",
        action="customer.changed",
        customer=world.acme,
        detail={"address": ["", '1-2-3;=HYPERLINK("http://evil.example/","x")']},
    )
    response = superuser.post(LISTS["audit"], {"action": "export_csv", "index": "0", "_selected_action": [entry.pk]})
    [row] = [row for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) if row[5:6] == [entry.action]]
    assert row[-1].startswith(ja("contract address", "audit detail")) and ";=" not in row[-1] and ";'=" in row[-1]


def test_a_list_that_searches_must_name_its_search():
    from selfcare.backoffice.admin.base import IndexedSearchMixin

    with pytest.raises(TypeError, match="search_with"):
        type("Unsearched", (IndexedSearchMixin,), {})


def test_the_too_many_customers_warning_shows_only_on_the_list_it_is_about(superuser, world, monkeypatch):
    """It was a queued message: an action's redirect showed it twice, and after a CSV or a PDF (which show no
    messages) it appeared on the next page opened, a list searched for something else or the dashboard."""
    monkeypatch.setattr("selfcare.backoffice.search.MAX_CUSTOMERS", 1)
    ids = list(AuditEntry.objects.values_list("pk", flat=True)[:2])

    exported = superuser.post(
        LISTS["audit"] + "?" + urlencode({"q": "株式会社"}),
        {"action": "export_csv", "index": "0", "_selected_action": ids},
    )
    assert exported["Content-Type"].startswith("text/csv")
    dashboard = superuser.get("/staff/")
    assert not [m for m in messages_of(dashboard) if "株式会社" in m]
    assert "株式会社" not in html(dashboard)

    redirected = superuser.post(
        LISTS["letters"] + "?" + urlencode({"q": "株式会社"}),
        {"action": "mark_posted", "index": "0", "_selected_action": [world.acme_letter.pk], "post": "yes"},
    )
    assert redirected.status_code == 302  # the first customer's letter, posted already: nothing to mark
    listed = superuser.get(redirected.url)
    assert len(search_notes(listed)) == 1 and not [m for m in messages_of(listed) if "株式会社" in m]
    assert not search_notes(superuser.get(LISTS["letters"], {"q": "acme-tokyo"}))
