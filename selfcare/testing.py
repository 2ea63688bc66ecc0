"""Factories and helpers shared by the tests (imported by the root conftest.py)."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from selfcare.accounts.models import Customer, Plan, User
from selfcare.core.audit import Actor
from selfcare.inventory.services import iter_range, numbers_import

TEST_ACTOR = Actor.system("tests")


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = "basic"
    name = "ベーシックプラン"
    monthly_fee_per_number = 330


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"cust{n:05d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = "!"  # noqa: S105 - an unusable hash; tests that log in set a real one


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    contract_name = factory.Sequence(lambda n: f"テスト株式会社{n}")
    postal_code = "100-0001"
    address = "東京都千代田区千代田1-1"
    plan = factory.SubFactory(PlanFactory)


def pool_add(first: str, count: int, **kwargs: object) -> list[str]:
    """Import ``count`` consecutive numbers from ``first``; returns them."""
    last = f"{int(first) + count - 1:011d}"
    numbers_import(numbers=iter_range(first, last), actor=TEST_ACTOR, **kwargs)  # type: ignore[arg-type]
    return list(iter_range(first, last))
