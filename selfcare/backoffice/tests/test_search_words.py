"""Staff searches of words typed with spaces between them (a half- or full-width space): each word is found
in the contract name, the self-care ID or the e-mail address, wherever, on every list that searches. Before,
the spaced text was looked for as it was typed and found nothing."""

from __future__ import annotations

import pytest

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.search import Kind, recognise
from selfcare.backoffice.tests.test_search import LISTS, _found, _whole_table_reads
from selfcare.orders.models import IssuedLine


@pytest.mark.parametrize(
    "typed",
    [
        "アクメ 東京",  # the name as two words
        "アクメ　東京",  # with a full-width space
        "東京 アクメ",  # in another order
        " アクメ  株式会社 ",  # several spaces, around too
        "アクメ acme-tokyo",  # a word of the name, a word of the ID
        "acme tokyo",  # parts of the ID (and of the address)
    ],
)
def test_words_with_spaces_find_the_customer_on_every_list(superuser, world, typed):
    assert recognise(typed).kind is Kind.WORD
    acme = world.acme
    assert _found(superuser, LISTS["customers"], typed) == {acme.pk}
    assert _found(superuser, LISTS["applications"], typed) == {world.acme_application.pk}
    assert _found(superuser, LISTS["letters"], typed) == {world.acme_letter.pk}
    assert _found(superuser, LISTS["lines"], typed) == set(
        IssuedLine.objects.filter(customer=acme).values_list("pk", flat=True)
    )
    assert set(AuditEntry.objects.filter(customer=acme).values_list("pk", flat=True)) <= _found(
        superuser, LISTS["audit"], typed
    )


def test_every_word_must_be_found(superuser, world):
    assert _found(superuser, LISTS["customers"], "アクメ 商事") == set()  # アクメ東京 / ベータ商事: neither has both
    assert _found(superuser, LISTS["customers"], "株式会社 商事") == {world.beta.pk}
    assert _found(superuser, LISTS["customers"], "株式会社") == {world.acme.pk, world.beta.pk}


def test_a_name_stored_with_a_full_width_space_is_found_by_its_words(superuser, world, plan):
    from selfcare.testing import CustomerFactory

    yamada = CustomerFactory(plan=plan, contract_name="山田　太郎")
    assert _found(superuser, LISTS["customers"], "山田 太郎") == {yamada.pk}
    assert _found(superuser, LISTS["customers"], "山田　太郎") == {yamada.pk}


def test_staff_who_may_not_see_customers_do_not_find_them_by_words_of_their_address(inventory_manager, world):
    assert _found(inventory_manager, LISTS["lines"], "info acme-tokyo.example") == set()


@pytest.mark.postgres
@pytest.mark.parametrize("listed", sorted(LISTS))
def test_on_postgresql_words_with_spaces_are_served_by_indexes(superuser, world, listed):
    from django.db import transaction

    response = superuser.get(LISTS[listed], {"q": "アクメ東京 株式会社"})
    assert response.status_code == 200
    with transaction.atomic():
        assert not _whole_table_reads(response.context["cl"].queryset)


def test_words_are_looked_up_by_the_longest_one_and_short_ones_in_one_pass(db):
    """Each word was a union of three lookups: 山田 太郎, two words without a trigram, read the customers and
    their logins whole four times at half a million customers."""
    from selfcare.backoffice.search import customer_ids

    short = str(customer_ids(recognise("山田 太郎")).query).upper()
    assert "UNION" not in short and short.count("FROM") == 1  # one pass over customers and their logins
    longest = str(customer_ids(recognise("アクメ東京 株式会社")).query).upper()
    assert longest.count("UNION") == 1 and "%アクメ東京%" in longest.split("UNION")[0]  # the index: アクメ東京
