"""Time rendering a batch of IP電話サービス開始のご案内 letters as one PDF.

Creates N letters (default 1000), each with --per-letter numbers and real
encrypted passwords, then renders them all with letters_render (decryption,
layout, font subsetting) and prints letters per second and the total time.

    .venv/bin/python bench/letters.py                      # a temporary SQLite database
    .venv/bin/python bench/letters.py --letters 1000 --per-letter 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/selfcare_bench .venv/bin/python bench/letters.py

On a DATABASE_URL the rows it creates (050 numbers 050-99xx-xxxx, users bench-letters-*) are
removed afterwards unless --keep is given. Nothing is recorded as printed, so no audit entries.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_temporary = None
if "DATABASE_URL" not in os.environ:
    _temporary = tempfile.TemporaryDirectory(prefix="bench-letters-")
    os.environ["SELFCARE_VAR_DIR"] = _temporary.name
    os.environ["DATABASE_URL"] = f"sqlite:///{_temporary.name}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, transaction

from selfcare.accounts.models import Customer, Plan, User
from selfcare.core import clock, crypto
from selfcare.inventory.models import PhoneNumber
from selfcare.inventory.tally import HELD, pool_changed
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_render
from selfcare.orders import credentials
from selfcare.orders.models import Application, IssuedLine

FIRST_NUMBER = 5099000000  # 050-99xx-xxxx, far from the test and demo pools
USER_PREFIX = "bench-letters-"


def create(letters: int, per_letter: int) -> list[int]:
    now = clock.now()
    with transaction.atomic():
        plan, _ = Plan.objects.get_or_create(code="bench", defaults={"name": "bench", "monthly_fee_per_number": 330})
        users = User.objects.bulk_create(
            User(username=f"{USER_PREFIX}{i}", email=f"{USER_PREFIX}{i}@example.com", password="!")  # noqa: S106 - an unusable hash
            for i in range(letters)
        )
        customers = Customer.objects.bulk_create(
            Customer(
                user=user,
                contract_name=f"ベンチマーク株式会社 第{i}営業所",
                postal_code="1000001",
                address="東京都千代田区千代田1-1 ベンチマークビル12階",
                plan=plan,
                numbers_added=per_letter,
            )
            for i, user in enumerate(users)
        )
        applications = Application.objects.bulk_create(
            Application(
                application_number=f"BENCH-{i:08d}",
                customer=customer,
                count=per_letter,
                monthly_fee_per_number=330,
                plan_code=plan.code,
                idempotency_key="bench",
                placed_at=now,
            )
            for i, customer in enumerate(customers)
        )
        numbers = [f"0{FIRST_NUMBER + i:010d}" for i in range(letters * per_letter)]
        PhoneNumber.objects.bulk_create(
            (
                PhoneNumber(number=n, status=PhoneNumber.Status.ASSIGNED, available_from=now.date(), imported_at=now)
                for n in numbers
            ),
            batch_size=5000,
        )
        pool_changed({HELD: len(numbers)})  # the pool tally counts them held (invariant 9)
        IssuedLine.objects.bulk_create(
            (
                IssuedLine(
                    application=applications[i // per_letter],
                    customer=customers[i // per_letter],
                    number_id=number,
                    issued_at=now,
                    service_pin_encrypted=crypto.encrypt(credentials.new_service_pin()),
                    sip_password_encrypted=crypto.encrypt(credentials.new_sip_password()),
                )
                for i, number in enumerate(numbers)
            ),
            batch_size=5000,
        )
        created = Letter.objects.bulk_create(
            Letter.to_contract_address(customer, kind=Letter.Kind.SERVICE_START, application=application, queued_at=now)
            for customer, application in zip(customers, applications, strict=True)
        )
    return [letter.pk for letter in created]


def remove() -> None:
    with transaction.atomic():
        customers = Customer.objects.filter(user__username__startswith=USER_PREFIX)
        Letter.objects.filter(customer__in=customers).delete()
        IssuedLine.objects.filter(customer__in=customers).delete()
        Application.objects.filter(customer__in=customers).delete()
        removed, _ = PhoneNumber.objects.filter(number__startswith="05099").delete()
        pool_changed({HELD: -removed})
        users = list(customers.values_list("user_id", flat=True))
        customers.delete()
        User.objects.filter(pk__in=users).delete()
        Plan.objects.filter(code="bench", customers__isnull=True).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--per-letter", type=int, default=10, help="numbers per letter (1-50)")
    parser.add_argument("--output", type=Path, help="also write the PDF here (it holds the test passwords)")
    parser.add_argument("--keep", action="store_true", help="keep the created rows on a DATABASE_URL")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}", flush=True)
    if _temporary is None:
        remove()
    started = time.monotonic()
    ids = create(args.letters, args.per_letter)
    print(f"created {len(ids)} letters x {args.per_letter} numbers in {time.monotonic() - started:.1f} s", flush=True)
    try:
        started = time.monotonic()
        pdf = letters_render(letter_ids=ids)
        elapsed = time.monotonic() - started
        if args.output:
            args.output.write_bytes(pdf)
        print(
            f"rendered {len(ids)} letters ({len(ids)} pages, {len(pdf) / 1e6:.1f} MB) in {elapsed:.1f} s: "
            f"{len(ids) / elapsed:.0f} letters/s"
        )
    finally:
        if _temporary is None and not args.keep:
            remove()


if __name__ == "__main__":
    main()
