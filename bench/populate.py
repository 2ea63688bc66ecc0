"""Fill a PostgreSQL database with a realistic pool for benchmarks: N numbers, 70 % held,
20 % in quarantine after a cancellation, 10 % fresh. Set-based SQL, so ten million take minutes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/selfcare_bench \\
        .venv/bin/python bench/populate.py --numbers 10000000

It empties the database's tables first. The stored "passwords" are placeholders, not real
ciphertext: the benchmarks time locking and indexes, not decryption.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.core.management import call_command
from django.db import connection

PER_CUSTOMER = 50
# Text columns the ORM fills with '' (blank=True, no default) get that default in this database, so the
# set-based inserts below need not name each one, including ones added after this script was written.
BLANK_TEXT_DEFAULTS = """DO $$ DECLARE c record; BEGIN  -- blank text columns default to ''
    FOR c IN SELECT table_name, column_name FROM information_schema.columns
              WHERE table_schema = current_schema() AND is_nullable = 'NO' AND column_default IS NULL
                AND data_type IN ('text', 'character varying')
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %L', c.table_name, c.column_name, '');
    END LOOP;
END $$"""
STEPS = [
    BLANK_TEXT_DEFAULTS,
    "TRUNCATE letters_letter, orders_issuedline, orders_cancellation, orders_application, core_auditentry, "
    "accounts_customer, accounts_user, accounts_plan, inventory_phonenumber RESTART IDENTITY CASCADE",
    "INSERT INTO accounts_plan (code, name, monthly_fee_per_number, is_active) VALUES ('basic', 'basic', 330, true)",
    # numbers: 0 .. held-1 held; held .. held+quarantined-1 in quarantine; the rest fresh
    "INSERT INTO inventory_phonenumber (number, status, available_from, imported_at) "
    "SELECT lpad((5000000000 + i)::text, 11, '0'), CASE WHEN i < %(held)s THEN 'assigned' ELSE 'free' END, "
    "CASE WHEN i < %(held)s THEN current_date - 800 WHEN i < %(held)s + %(quarantined)s THEN (current_date - 60 + interval '6 months')::date "
    "ELSE current_date - 1 END, now() FROM generate_series(0, %(numbers)s - 1) AS i",
    "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, "
    "date_joined, consecutive_failures) SELECT '!', false, 'bench' || c, '', '', 'bench' || c || '@example.com', false, "
    "true, now(), 0 "
    "FROM generate_series(0, %(customers)s - 1) AS c",
    "INSERT INTO accounts_customer (user_id, contract_name, postal_code, address, plan_id, addition_limit, "
    "numbers_added, status, created_at) SELECT id, username, '', '', 1, 50, 50, 'active', now() FROM accounts_user",
    "INSERT INTO orders_application (application_number, customer_id, count, monthly_fee_per_number, plan_code, "
    "idempotency_key, placed_at) SELECT 'B' || id, id, 50, 330, 'basic', 'bench', now() - interval '800 days' "
    "FROM accounts_customer",
    "INSERT INTO letters_letter (kind, customer_id, application_id, recipient_name, postal_code, address, queued_at, "
    "print_count) SELECT 'service_start', customer_id, id, 'bench', '', '', placed_at, 0 FROM orders_application",
    "INSERT INTO orders_cancellation (customer_id, received_on, effective_on, recorded_at, note) "
    "SELECT id, current_date - 60, current_date - 60, now(), '' FROM accounts_customer "
    "WHERE id > %(held)s / 50",
    "INSERT INTO orders_issuedline (application_id, customer_id, number, issued_at, service_pin_encrypted, "
    "sip_password_encrypted, cancellation_id, cancelled_on) "
    "SELECT i / 50 + 1, i / 50 + 1, lpad((5000000000 + i)::text, 11, '0'), now() - interval '800 days', 'x', 'x', "
    "CASE WHEN i >= %(held)s THEN i / 50 + 1 - %(held)s / 50 END, CASE WHEN i >= %(held)s THEN current_date - 60 END "
    "FROM generate_series(0, %(held)s + %(quarantined)s - 1) AS i",
    "VACUUM ANALYZE",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("populate.py needs PostgreSQL: set DATABASE_URL")
    call_command("migrate", verbosity=0)
    numbers = args.numbers - args.numbers % (PER_CUSTOMER * 10)
    held = numbers * 7 // 10
    quarantined = numbers * 2 // 10
    params = {"numbers": numbers, "held": held, "quarantined": quarantined, "customers": (held + quarantined) // 50}
    started = time.monotonic()
    connection.ensure_connection()
    connection.connection.autocommit = True
    with connection.cursor() as cursor:
        for step in STEPS:
            t = time.monotonic()
            cursor.execute(step, params if "%(" in step else None)
            print(f"{time.monotonic() - t:7.1f} s  {step[:70]}", flush=True)
    print(
        f"{numbers} numbers: {held} held, {quarantined} in quarantine, {numbers - held - quarantined} fresh; "
        f"{time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
