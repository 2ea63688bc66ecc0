"""The paper cancellation's customer look-up by name: words typed with spaces find the name."""

from __future__ import annotations

import pytest

from selfcare.accounts.selectors import customers_find
from selfcare.testing import CustomerFactory


@pytest.mark.parametrize("typed", ["山田 太郎", "山田　太郎", "太郎 山田", " 山田  太郎 ", "山田"])
def test_a_name_typed_with_spaces_finds_the_customer_whatever_the_space_stored(plan, typed):
    spaced = CustomerFactory(plan=plan, contract_name="山田　太郎")
    joined = CustomerFactory(plan=plan, contract_name="株式会社山田太郎商店")
    CustomerFactory(plan=plan, contract_name="山本花子")

    found = {customer.pk for customer in customers_find(term=typed)}

    assert found == {spaced.pk, joined.pk}


def test_every_word_must_be_in_the_name(plan):
    CustomerFactory(plan=plan, contract_name="山田　太郎")

    assert customers_find(term="山田 花子") == []
