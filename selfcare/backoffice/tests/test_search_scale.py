"""Staff contains-searches whose answer grows with the pool: an e-mail address (every address shares its
domain's trigrams) and a fragment of a contract name (新潟建設 is hundreds of customers at ten million
numbers). The same rows are found; the trigram index is asked for the part of an address that tells it
apart, and a word standing for more customers than a list shows says so and shows the first of them."""

from __future__ import annotations

import pytest

from selfcare.backoffice import search
from selfcare.backoffice.search import recognise
from selfcare.backoffice.tests.conftest import ja
from selfcare.backoffice.tests.test_search import LISTS, _found, search_notes
from selfcare.orders.models import Application

MORE = (
    "More than %(n)s customers match “%(term)s”: the list shows the rows of the first %(n)s. "
    "Type more of the name, ID or address to narrow the search."
)


@pytest.fixture
def addresses(world, plan):
    """Addresses around acme's info@acme-tokyo.example: one containing it, others sharing its parts."""
    from selfcare.testing import CustomerFactory, UserFactory

    def customer(username: str, email: str):  # type: ignore[no-untyped-def]
        return CustomerFactory(plan=plan, user=UserFactory(username=username, email=email)).pk

    return {
        "longer": customer("c-longer", "xinfo@acme-tokyo.example.jp"),
        "other domain": customer("c-other", "info@acme-osaka.example"),
        "other local": customer("c-local", "sales@acme-tokyo.example"),
        "short local": customer("c-short", "ab@acme-tokyo.example"),
    }


def test_an_address_finds_every_address_containing_it_whatever_its_case(superuser, world, addresses):
    acme = world.acme.pk
    found = {
        "info@acme-tokyo.example": {acme, addresses["longer"]},
        "INFO@Acme-Tokyo.Example": {acme, addresses["longer"]},
        "info@": {acme, addresses["longer"], addresses["other domain"]},
        "@acme-tokyo.example": {acme, addresses["longer"], addresses["other local"], addresses["short local"]},
        "ab@acme-tokyo.example": {addresses["short local"]},
        "b@acme-tokyo": {addresses["short local"]},
        "fo@acme-to": {acme, addresses["longer"]},
    }
    for typed, expected in found.items():
        assert _found(superuser, LISTS["customers"], typed) == expected, typed


def test_the_index_is_asked_for_the_part_before_the_at_sign_and_the_whole_address_compared(db):
    """Asked for the whole address, the trigram index read the domain's long lists (70 ms at half a million
    addresses against 9 ms for the part before the @)."""
    sql = str(search.users_matching(recognise("info@acme-tokyo.example")).query).upper()
    asked, _function, compared = sql.partition("STRPOS" if "STRPOS" in sql else "INSTR")
    assert "%INFO@%" in asked and "ACME-TOKYO" not in asked  # the index's condition: the part before the @
    assert "INFO@ACME-TOKYO.EXAMPLE" in compared  # the whole address, compared in the rows found
    short = str(search.users_matching(recognise("ab@acme-tokyo.example")).query).upper()
    assert "%@ACME-TOKYO.EXAMPLE%" in short  # a part before the @ shorter than a trigram: the part after it


def test_a_word_matching_more_customers_than_shown_says_so_and_shows_the_first(superuser, world, plan):
    from selfcare.testing import CustomerFactory

    names = [f"新潟建設株式会社{n}" for n in range(search.MAX_CUSTOMERS + 2)]
    many = [CustomerFactory(plan=plan, contract_name=name).pk for name in names]
    response = superuser.get(LISTS["customers"], {"q": "新潟建設"})
    listed = {customer.pk for customer in response.context["cl"].result_list}
    assert listed == set(sorted(many)[: search.MAX_CUSTOMERS])
    assert search_notes(response) == [ja(MORE, n=str(search.MAX_CUSTOMERS), term="新潟建設")]
    assert not search_notes(superuser.get(LISTS["customers"], {"q": "新潟建設株式会社1"}))  # 1, 10, 11: three


def test_every_list_of_a_customers_rows_says_so_too(superuser, world, monkeypatch):
    monkeypatch.setattr("selfcare.backoffice.search.MAX_CUSTOMERS", 1)
    for listed in ("customers", "applications", "letters", "lines", "cancellations", "audit"):
        response = superuser.get(LISTS[listed], {"q": "株式会社"})  # acme and beta
        assert len(search_notes(response)) == 1, listed
    first = min(world.acme.pk, world.beta.pk)
    shown = _found(superuser, LISTS["applications"], "株式会社")
    assert shown == set(Application.objects.filter(customer_id=first).values_list("pk", flat=True))


def test_a_number_prefix_still_stands_for_up_to_a_thousand_holders(superuser, world, monkeypatch):
    monkeypatch.setattr("selfcare.backoffice.search.MAX_CUSTOMERS", 1)
    response = superuser.get(LISTS["audit"], {"q": "050-0000-000"})  # acme and beta hold these numbers
    assert not search_notes(response)
    assert _found(superuser, LISTS["customers"], "050-0000-000") == {world.acme.pk, world.beta.pk}
