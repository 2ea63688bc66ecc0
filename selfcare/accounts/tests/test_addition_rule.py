"""The one rule for adding numbers: Customer.addition_refusal, asked by the portal and by numbers_add."""

from __future__ import annotations

import pytest

from selfcare.accounts import errors as accounts_errors
from selfcare.accounts.models import Customer
from selfcare.orders import errors as orders_errors
from selfcare.testing import CustomerFactory


def test_the_refusals_live_in_accounts_and_orders_still_exports_them_with_their_codes():
    assert orders_errors.LimitReached is accounts_errors.LimitReached
    assert orders_errors.CustomerSuspended is accounts_errors.CustomerSuspended
    assert accounts_errors.LimitReached.code == "limit_reached"
    assert accounts_errors.CustomerSuspended.code == "customer_suspended"


@pytest.mark.parametrize(
    ("limit", "added", "count", "refusal"),
    [
        (10, 8, 2, None),
        (10, 8, 3, accounts_errors.LimitReached),
        (10, 10, 1, accounts_errors.LimitReached),
        (50, 0, 50, None),
        (0, 0, 1, accounts_errors.LimitReached),
    ],
)
def test_an_active_customer_may_add_up_to_what_remains(plan, limit, added, count, refusal):
    customer = CustomerFactory.build(plan=plan, addition_limit=limit, numbers_added=added)

    refused = customer.addition_refusal(count)

    assert customer.can_add(count) is (refusal is None)
    if refusal is None:
        assert refused is None
    else:
        assert isinstance(refused, refusal)
        assert refused.params == {"limit": limit, "remaining": limit - added}


def test_a_suspended_customer_may_add_nothing_even_with_room_left(plan):
    customer = CustomerFactory.build(plan=plan, status=Customer.Status.SUSPENDED, addition_limit=50, numbers_added=0)

    assert isinstance(customer.addition_refusal(1), accounts_errors.CustomerSuspended)
    assert not customer.can_add(1)


def test_numbers_add_asks_the_customers_rule_under_its_lock(customer, pool, actor, monkeypatch):
    """numbers_add and the portal share one rule: numbers_add refuses whatever the rule refuses."""
    from selfcare.orders.models import Application
    from selfcare.orders.services import numbers_add

    asked: list[int] = []

    def refuse(self, count):
        asked.append(count)
        return accounts_errors.CustomerSuspended()

    monkeypatch.setattr(Customer, "addition_refusal", refuse)

    with pytest.raises(accounts_errors.CustomerSuspended):
        numbers_add(customer_id=customer.pk, count=3, idempotency_key="k1", actor=actor)
    assert asked == [3]
    assert not Application.objects.exists()
