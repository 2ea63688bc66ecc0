"""Load-test data on the stack's database: a plan, customers sharing one password, a number pool.

Run with the stack's settings in the environment:
``python -m loadtests.seed --customers N --first 05060000000 --count M`` with the password in
``LOADTEST_PASSWORD`` (never on the command line). Customers are ``load0001``..; their e-mail is
``load0001@loadtest.example``.
"""

from __future__ import annotations

import argparse
import os

import django


def customer_id(index: int) -> str:
    return f"load{index:04d}"


def customer_email(index: int) -> str:
    return f"{customer_id(index)}@loadtest.example"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--first", default="05060000000")
    parser.add_argument("--count", type=int, required=True, help="numbers in the pool")
    args = parser.parse_args()
    django.setup()

    from django.contrib.auth.hashers import make_password
    from django.test.utils import override_settings

    from selfcare.accounts.models import Plan, User
    from selfcare.accounts.services import customer_create
    from selfcare.audit.services import Actor
    from selfcare.inventory.services import iter_range, numbers_import

    actor = Actor.system("loadtest")
    Plan.objects.get_or_create(code="basic", defaults={"name": "ベーシックプラン", "monthly_fee_per_number": 330})
    password = os.environ["LOADTEST_PASSWORD"]
    # Every customer goes through customer_create; the argon2 hash is then computed once and
    # given to all (salt aside, the same hash each would have had: every login costs the same).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for index in range(1, args.customers + 1):
            _create(customer_create, index, password, args.limit, actor)
    # The load runs log in with this password again and again: not one to be changed at the first login.
    User.objects.filter(username__startswith="load").update(
        password=make_password(password), password_change_required=False
    )
    if args.count:
        last = str(int(args.first) + args.count - 1).zfill(len(args.first))
        numbers_import(numbers=iter_range(args.first, last), actor=actor, source="loadtest")
    print(f"seeded {args.customers} customers, {args.count} numbers", flush=True)


def _create(customer_create, index: int, password: str, limit: int, actor) -> None:
    customer_create(
        selfcare_id=customer_id(index),
        email=customer_email(index),
        contract_name=f"負荷試験{index:04d}株式会社",
        plan_code="basic",
        addition_limit=limit,
        password=password,
        postal_code="100-0005",
        address="東京都千代田区丸の内1-1-1",
        actor=actor,
    )


if __name__ == "__main__":
    main()
