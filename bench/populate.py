"""Fill a PostgreSQL database with what production accumulates, for benchmarks: N numbers, about 70 % held,
20 % in quarantine after a paper cancellation, 10 % fresh; the customers holding them (1 to 50 numbers each,
within their limit) with their applications of 1 to 50 numbers, letters, cancellations, a few staff users in
their roles, and an audit log of logins, failed logins, login codes, applications, refusals, letters and staff
actions. Set-based SQL, so ten million numbers take minutes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/selfcare_bench \\
        .venv/bin/python bench/populate.py --numbers 10000000 [--audit-per-number 3]

It empties the database's tables first. Customer 1 is the demo customer (self-care ID ``demo-tokyo``,
アクメ東京株式会社, the password printed at the end): 50 numbers held, from five applications of
2, 6, 10, 14 and 18 numbers, so the portal's pages have something to show. The stored "passwords" are
placeholders, not real ciphertext (none is shown: every application is older than the window in which
the portal shows them), and the letters posted more than 30 days ago have their passwords destroyed, as
``purge_posted_secrets`` leaves them. Everything satisfies ``manage.py check_invariants``.

Loading: the secondary indexes and foreign keys of the tables written are dropped first and made again
at the end (the foreign keys validated over every row); check constraints, primary keys and unique
constraints stay in force while the rows go in.
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

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection

DEMO_ID = "demo-tokyo"
DEMO_PASSWORD = "bench demo password 050"  # noqa: S105 - a benchmark database's demo login, printed anyway
LOADED_TABLES = [
    "accounts_user",
    "accounts_customer",
    "inventory_phonenumber",
    "orders_application",
    "orders_cancellation",
    "orders_issuedline",
    "letters_letter",
    "core_auditentry",
]
WORK_TABLES = ["populate_customer", "populate_application", "populate_cancellation"]
MEAN_NUMBERS_PER_CUSTOMER = 18.1  # of the mix below: 30 % 1-5, 40 % 6-20, 20 % 21-49, 10 % 50
ENTRIES_PER_LOGIN_EVENT = 3.48  # of the mix of customer events below
STAFF_ACTIONS = 6000
STAFF = [  # username, role (a group made by migrate), superuser
    ("admin-kobayashi", None, True),
    ("cc-sato", "customer centre", False),
    ("cc-suzuki", "customer centre", False),
    ("cc-takahashi", "customer centre", False),
    ("sales-tanaka", "sales", False),
    ("sales-ito", "sales", False),
    ("inventory-watanabe", "inventory manager", False),
    ("audit-yamamoto", "auditor", False),
]
APPLICATION_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # selfcare.orders.services' 32 characters

PLACES = "東京 大阪 名古屋 横浜 札幌 福岡 神戸 京都 仙台 広島 千葉 埼玉 静岡 新潟 岡山 熊本 金沢 那覇 長野 松山 高松 岐阜 奈良 浜松"
TRADES = (
    "商事 物産 電機 工業 建設 運輸 製作所 不動産 システム 食品 薬品 印刷 通信 物流 設計 企画 サービス 商会 "
    "興業 技研 精機 化学 産業 ホールディングス"
)
WARDS = (
    "千代田区 中央区 港区 新宿区 文京区 台東区 墨田区 江東区 品川区 目黒区 大田区 世田谷区 渋谷区 中野区 杉並区 豊島区"
)


def sql_array(words: str) -> str:
    return "ARRAY[" + ", ".join(f"'{w}'" for w in words.split()) + "]"


def h(expr: str, seed: int) -> str:
    """A well-mixed non-negative pseudo-random integer from an integer expression (PostgreSQL's own hash)."""
    return f"(hashint8extended(({expr})::bigint, {seed}) & 2147483647)"


def application_code(expr: str) -> str:
    """8 characters of the application alphabet from an id, one to one (odd multiplier, xor-shift, modulo 2^40)."""
    y = f"((({expr})::bigint * 679891637638 + 91138233) & 1099511627775)"
    x = f"({y} # ({y} >> 20))"
    return " || ".join(f"substr('{APPLICATION_ALPHABET}', (({x} >> {5 * j}) & 31)::int + 1, 1)" for j in range(8))


# Columns the ORM fills from the model (text blank=True with no default, booleans default=False) get that
# default in this database, so the set-based inserts below need not name each one, including ones added after
# this script was written.
MODEL_DEFAULTS = """DO $$ DECLARE c record; BEGIN  -- blank text columns default to '', booleans to false
    FOR c IN SELECT table_name, column_name, data_type FROM information_schema.columns
              WHERE table_schema = current_schema() AND is_nullable = 'NO' AND column_default IS NULL
                AND data_type IN ('text', 'character varying', 'boolean')
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %L', c.table_name, c.column_name,
                       CASE WHEN c.data_type = 'boolean' THEN 'false' ELSE '' END);
    END LOOP;
END $$"""

# What is dropped for the load is kept in a table until it is made again, so a load that stops half-way is
# repaired by the next run (restore first, then drop again).
SAVE_DDL = """CREATE TABLE IF NOT EXISTS populate_ddl (seq serial, kind text NOT NULL, name text NOT NULL,
    tbl text NOT NULL, statement text NOT NULL);
INSERT INTO populate_ddl (kind, name, tbl, statement)
SELECT 'index', i.relname, t.relname, pg_get_indexdef(i.oid)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
 WHERE t.relname = ANY(%(tables)s) AND t.relnamespace = current_schema()::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
UNION ALL
SELECT 'fk', c.conname, t.relname, format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', t.relname, c.conname,
       pg_get_constraintdef(c.oid))
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
 WHERE c.contype = 'f' AND t.relname = ANY(%(tables)s) AND t.relnamespace = current_schema()::regnamespace"""


def restore_ddl(cursor) -> None:  # type: ignore[no-untyped-def]
    cursor.execute("SELECT to_regclass('populate_ddl') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return
    cursor.execute("SELECT kind, name, tbl, statement FROM populate_ddl ORDER BY kind DESC, seq")
    for kind, name, _table, statement in cursor.fetchall():
        if kind == "index":
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        else:
            cursor.execute("SELECT count(*) > 0 FROM pg_constraint WHERE conname = %s", [name])
        if not cursor.fetchone()[0]:
            cursor.execute(statement)
    cursor.execute("DROP TABLE populate_ddl")


def drop_ddl(cursor) -> None:  # type: ignore[no-untyped-def]
    cursor.execute(SAVE_DDL, {"tables": LOADED_TABLES})
    cursor.execute("SELECT kind, name, tbl FROM populate_ddl")
    for kind, name, table in cursor.fetchall():
        if kind == "index":
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        else:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')


def steps(p: dict[str, int]) -> list[tuple[str, str]]:
    """(label, SQL) in order. p: numbers, lines, staff_first (the first staff user's id), audit target."""
    t0 = "(now() - interval '1800 days')"  # the service's first day
    customers = f"""CREATE UNLOGGED TABLE populate_customer AS
WITH raw AS (
    SELECT c, CASE WHEN c = 1 THEN 50
                   WHEN {h("c", 1)} % 100 < 30 THEN 1 + {h("c", 2)} % 5
                   WHEN {h("c", 1)} % 100 < 70 THEN 6 + {h("c", 2)} % 15
                   WHEN {h("c", 1)} % 100 < 90 THEN 21 + {h("c", 2)} % 29
                   ELSE 50 END AS wanted
      FROM generate_series(1, {int(p["lines"] / MEAN_NUMBERS_PER_CUSTOMER * 1.3) + 50}) AS c
), cut AS (
    SELECT c, sum(wanted) OVER (ORDER BY c) - wanted AS start, wanted FROM raw
), kept AS (
    SELECT c, start::int, least(wanted, {p["lines"]} - start)::int AS total FROM cut WHERE start < {p["lines"]}
), sized AS (
    SELECT *, count(*) OVER () AS customers FROM kept
)
SELECT c, start, total,
       {t0} + (c - 1)::float8 / customers * interval '1770 days' AS created_at,
       CASE WHEN c = 1 THEN 5 ELSE 1 + {h("c", 3)} % least(6, floor(sqrt(total)))::int END AS napps,
       -- about a third of the customers of more than 200 days sent a paper cancellation: of all their
       -- numbers (3 in 10 of them), or of 20-70 %% of them
       c <> 1 AND {h("c", 4)} % 100 < 39 AND c < customers * 0.88 AS cancels,
       CASE WHEN c = 1 OR {h("c", 4)} % 100 >= 39 OR c >= customers * 0.88 THEN total
            WHEN {h("c", 5)} % 10 < 3 THEN 0
            ELSE floor(total * (0.3 + ({h("c", 6)} % 50) / 100.0))::int END AS keep,
       CASE WHEN c <> 1 AND {h("c", 7)} % 100 < 20 THEN 2 ELSE 1 END AS plan_id,
       CASE WHEN c = 1 THEN 'demo-tokyo' ELSE 'sc' || lpad(c::text, 8, '0') END AS username,
       CASE WHEN c = 1 THEN 'アクメ東京株式会社'
            WHEN {h("c", 8)} % 2 = 0 THEN '株式会社' || ({sql_array(PLACES)})[1 + {h("c", 9)} % 24]
                 || ({sql_array(TRADES)})[1 + {h("c", 10)} % 24]
            ELSE ({sql_array(PLACES)})[1 + {h("c", 9)} % 24] || ({sql_array(TRADES)})[1 + {h("c", 10)} % 24]
                 || CASE WHEN {h("c", 11)} % 5 = 0 THEN '有限会社' ELSE '株式会社' END END AS contract_name,
       lpad(({h("c", 12)} % 9999999)::text, 7, '0') AS postal_code,
       '東京都' || ({sql_array(WARDS)})[1 + {h("c", 13)} % 16] || ' ' || (1 + {h("c", 14)} % 9) || '-'
           || (1 + {h("c", 15)} % 30) || '-' || (1 + {h("c", 16)} % 20) AS address
  FROM sized"""
    applications = f"""CREATE UNLOGGED TABLE populate_application AS
SELECT row_number() OVER (ORDER BY c.c, k)::int AS id, c.c AS customer_id, k,
       c.start + floor(c.total * (k::float8 / c.napps) ^ 2)::int AS start,
       floor(c.total * ((k + 1)::float8 / c.napps) ^ 2)::int - floor(c.total * (k::float8 / c.napps) ^ 2)::int
           AS count,
       c.created_at + (k + 0.2 + 0.6 * ({h("c.c * 64 + k", 20)} % 1000) / 1000.0) / c.napps
           * ((CASE WHEN c.cancels THEN now() - interval '180 days' ELSE now() - interval '1 hour' END) - c.created_at)
           AS placed_at,
       c.plan_id
  FROM populate_customer c CROSS JOIN LATERAL generate_series(0, c.napps - 1) AS k"""
    cancellations = f"""CREATE UNLOGGED TABLE populate_cancellation AS
SELECT row_number() OVER (ORDER BY c)::int AS id, c AS customer_id, received_on,
       received_on + CASE WHEN {h("c", 22)} % 4 = 0 THEN 10 ELSE 0 END AS effective_on
  FROM (SELECT c, current_date - (1 + {h("c", 21)} % 170)::int AS received_on
          FROM populate_customer WHERE cancels) s"""
    staff = p["staff_first"]
    cc = f"({staff + 1} + {{h}} % 3)"  # one of the three customer-centre users
    return [
        ("work tables: customers", customers),
        ("work tables: applications", applications),
        ("work tables: cancellations", cancellations),
        (
            "plans",
            "INSERT INTO accounts_plan (id, code, name, monthly_fee_per_number, is_active) VALUES "
            "(1, 'basic', 'ベーシックプラン', 330, true), (2, 'premium', 'プレミアムプラン', 550, true), "
            "(3, 'legacy', '旧プラン', 300, false)",
        ),
        (
            "users (customers' logins)",
            f"""INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, consecutive_failures, locked_until)
SELECT c, '!', false, username, '', '', CASE WHEN c = 1 THEN 'info@acme-tokyo.example'
           ELSE username || '@' || (ARRAY['example.co.jp', 'example.jp', 'example.com', 'example.ne.jp'])[
               1 + {h("c", 30)} % 4] END,
       false, true, created_at, CASE WHEN c <> 1 AND {h("c", 31)} % 1000 = 0 THEN 5 ELSE 0 END,
       CASE WHEN c <> 1 AND {h("c", 31)} % 1000 = 0 THEN now() + interval '10 minutes' END
  FROM populate_customer""",
        ),
        (
            "staff users",
            "INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined, consecutive_failures) VALUES "
            + ", ".join(
                f"({staff + i}, '!', {'true' if superuser else 'false'}, '{name}', '', '', '{name}@carrier.example', "
                f"true, true, {t0}, 0)"
                for i, (name, _role, superuser) in enumerate(STAFF)
            ),
        ),
        (
            "staff roles (groups made by migrate)",
            "INSERT INTO accounts_user_groups (user_id, group_id) SELECT u.id, g.id FROM (VALUES "
            + ", ".join(f"({staff + i}, '{role}')" for i, (_name, role, _su) in enumerate(STAFF) if role)
            + ") AS u(id, role) JOIN auth_group g ON g.name = u.role",
        ),
        (
            "customers",
            f"""INSERT INTO accounts_customer (id, user_id, contract_name, postal_code, address, plan_id,
    addition_limit, numbers_added, status, created_at)
SELECT c, c, contract_name, postal_code, address, plan_id, CASE WHEN {h("c", 32)} % 100 < 2 THEN 100 ELSE 50 END,
       total, CASE WHEN c <> 1 AND {h("c", 33)} % 200 = 0 THEN 'suspended' ELSE 'active' END, created_at
  FROM populate_customer""",
        ),
        (
            "applications",
            f"""INSERT INTO orders_application (id, application_number, customer_id, count, monthly_fee_per_number,
    plan_code, idempotency_key, placed_at)
SELECT a.id, to_char(a.placed_at AT TIME ZONE %(tz)s, 'YYMMDD') || '-' || {application_code("a.id")},
       a.customer_id, a.count, CASE a.plan_id WHEN 2 THEN 550 ELSE 330 END,
       CASE a.plan_id WHEN 2 THEN 'premium' ELSE 'basic' END, md5('application' || a.id), a.placed_at
  FROM populate_application a""",
        ),
        (
            "paper cancellations",
            f"""INSERT INTO orders_cancellation (id, customer_id, received_on, effective_on, recorded_at,
    recorded_by_id, note)
SELECT id, customer_id, received_on, effective_on,
       least(now(), received_on + interval '1 day 1 hour' + ({h("id", 40)} % 28800) * interval '1 second'),
       {cc.format(h=h("id", 41))}, CASE WHEN {h("id", 42)} % 5 = 0 THEN 'FAX受付' ELSE '' END
  FROM populate_cancellation""",
        ),
        (
            "issued lines",
            """INSERT INTO orders_issuedline (id, application_id, customer_id, number, issued_at, service_pin_encrypted,
    sip_password_encrypted, secrets_destroyed_at, sip_ha1, sip_ha1b, cancellation_id, cancelled_on)
SELECT n + 1, a.id, a.customer_id, lpad((5000000000 + n)::text, 11, '0'), a.placed_at,
       CASE WHEN a.placed_at < now() - interval '35 days' THEN '' ELSE 'placeholder-ciphertext' END,
       CASE WHEN a.placed_at < now() - interval '35 days' THEN '' ELSE 'placeholder-ciphertext' END,
       CASE WHEN a.placed_at < now() - interval '35 days' THEN a.placed_at + interval '35 days' END,
       CASE WHEN n - c.start < c.keep OR x.effective_on > current_date THEN md5('ha1' || n) END,
       CASE WHEN n - c.start < c.keep OR x.effective_on > current_date THEN md5('ha1b' || n) END,
       CASE WHEN n - c.start >= c.keep THEN x.id END,
       CASE WHEN n - c.start >= c.keep THEN x.effective_on END
  FROM populate_application a JOIN populate_customer c ON c.c = a.customer_id
  LEFT JOIN populate_cancellation x ON x.customer_id = a.customer_id
 CROSS JOIN LATERAL generate_series(a.start, a.start + a.count - 1) AS n""",
        ),
        (
            "numbers (held and quarantined from the lines, then the fresh ones)",
            f"""INSERT INTO inventory_phonenumber (number, status, available_from, imported_at)
SELECT number, CASE WHEN cancellation_id IS NULL THEN 'assigned' ELSE 'free' END,
       CASE WHEN cancellation_id IS NULL THEN {t0}::date
            ELSE (cancelled_on + make_interval(months => %(months)s))::date END,
       {t0} - interval '1 day'
  FROM orders_issuedline
UNION ALL
SELECT lpad((5000000000 + i)::text, 11, '0'), 'free', current_date - 30, now() - interval '31 days'
  FROM generate_series({p["lines"]}, {p["numbers"]} - 1) AS i""",
        ),
        (
            "letters: service start, one per application",
            f"""INSERT INTO letters_letter (id, kind, customer_id, application_id, recipient_name, postal_code, address,
    queued_at, printed_at, print_count, posted_at, posted_by_id)
SELECT a.id, 'service_start', a.customer_id, a.id, c.contract_name, c.postal_code, c.address, a.placed_at,
       CASE WHEN a.placed_at < now() - interval '3 days' THEN a.placed_at + interval '2 days' END,
       CASE WHEN a.placed_at < now() - interval '3 days' THEN 1 ELSE 0 END,
       CASE WHEN a.placed_at < now() - interval '6 days' THEN a.placed_at + interval '4 days' END,
       CASE WHEN a.placed_at < now() - interval '6 days' THEN {cc.format(h=h("a.id", 43))} END
  FROM populate_application a JOIN populate_customer c ON c.c = a.customer_id""",
        ),
        (
            "letters: self-care ID and initial password, one per customer",
            f"""INSERT INTO letters_letter (id, kind, customer_id, secret_encrypted, recipient_name, postal_code, address,
    queued_at, printed_at, print_count, posted_at, posted_by_id)
SELECT (SELECT max(id) FROM populate_application) + c, 'selfcare_credentials', c,
       CASE WHEN created_at < now() - interval '35 days' THEN '' ELSE 'placeholder-ciphertext' END,
       contract_name, postal_code, address, created_at,
       CASE WHEN created_at < now() - interval '3 days' THEN created_at + interval '2 days' END,
       CASE WHEN created_at < now() - interval '3 days' THEN 1 ELSE 0 END,
       CASE WHEN created_at < now() - interval '6 days' THEN created_at + interval '4 days' END,
       CASE WHEN created_at < now() - interval '6 days' THEN {cc.format(h=h("c", 44))} END
  FROM populate_customer""",
        ),
        (
            "audit: customer.created (sales)",
            f"""INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, ip_address, action, customer_id,
    target, detail)
SELECT c.created_at, 'staff', s.id, s.username, ('10.1.0.' || (1 + {h("c.c", 50)} % 2))::inet, 'customer.created',
       c.c, c.username, jsonb_build_object('plan', CASE c.plan_id WHEN 2 THEN 'premium' ELSE 'basic' END,
       'addition_limit', 50)
  FROM populate_customer c JOIN accounts_user s ON s.id = {staff + 4} + {h("c.c", 51)} % 2""",
        ),
        (
            "audit: application.placed",
            f"""INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, ip_address, action, customer_id,
    target, detail)
SELECT a.placed_at, 'customer', a.customer_id, c.username, ('100.64.0.0'::inet + {h("a.id", 52)} % 4194304),
       'application.placed', a.customer_id, o.application_number,
       jsonb_build_object('count', a.count, 'numbers', n.numbers, 'monthly_fee_per_number', o.monthly_fee_per_number)
  FROM populate_application a JOIN populate_customer c ON c.c = a.customer_id
  JOIN orders_application o ON o.id = a.id
  JOIN (SELECT application_id, jsonb_agg(number ORDER BY number) AS numbers FROM orders_issuedline
         GROUP BY application_id) n ON n.application_id = a.id""",
        ),
        (
            "audit: numbers.cancelled (customer centre)",
            """INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, ip_address, action, customer_id,
    target, detail)
SELECT x.recorded_at, 'staff', s.id, s.username, '10.1.0.3'::inet, 'numbers.cancelled', x.customer_id,
       'cancellation:' || x.id, jsonb_build_object('numbers', n.numbers, 'received_on', x.received_on,
       'effective_on', x.effective_on, 'available_from', (x.effective_on + make_interval(months => %(months)s))::date)
  FROM orders_cancellation x JOIN accounts_user s ON s.id = x.recorded_by_id
  JOIN (SELECT cancellation_id, jsonb_agg(number ORDER BY number) AS numbers FROM orders_issuedline
         WHERE cancellation_id IS NOT NULL GROUP BY cancellation_id) n ON n.cancellation_id = x.id""",
        ),
        (
            "audit: letter.printed and letter.posted (customer centre)",
            """INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, ip_address, action, customer_id,
    target, detail)
SELECT e.at, 'staff', s.id, s.username, '10.1.0.4'::inet, e.action, t.customer_id, 'letter:' || t.id,
       jsonb_build_object('kind', t.kind, 'application', o.application_number, 'print_count', 1)
  FROM letters_letter t LEFT JOIN orders_application o ON o.id = t.application_id
 CROSS JOIN LATERAL (VALUES ('letter.printed', t.printed_at), ('letter.posted', t.posted_at)) AS e(action, at)
  JOIN accounts_user s ON s.id = coalesce(t.posted_by_id, %(staff_first)s + 1)
 WHERE e.at IS NOT NULL""",
        ),
        (
            "audit: secrets.purged (system)",
            """INSERT INTO core_auditentry (at, actor_kind, actor_label, action, customer_id, target, detail)
SELECT a.placed_at + interval '35 days', 'system', 'purge_posted_secrets', 'secrets.purged', a.customer_id,
       a.application_number, jsonb_build_object('lines', a.count, 'letter', a.id)
  FROM orders_application a WHERE a.placed_at < now() - interval '35 days'""",
        ),
        (
            f"audit: {STAFF_ACTIONS:,} other staff actions",
            f"""INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, ip_address, action, customer_id,
    target, detail)
SELECT at, 'staff', s.id, s.username, ('10.1.0.' || (1 + {h("g", 60)} % 8))::inet, action,
       CASE WHEN action LIKE 'customer.%%' THEN u.id END,
       CASE WHEN action LIKE 'customer.%%' THEN u.username WHEN action = 'staff.login' THEN s.username ELSE '' END,
       CASE action WHEN 'staff.login_failed' THEN '{{"step": "otp"}}'::jsonb
                   WHEN 'customer.limit_changed' THEN '{{"from": 50, "to": 100}}'::jsonb
                   WHEN 'customer.unlocked' THEN '{{"consecutive_failures": 5}}'::jsonb
                   WHEN 'customer.changed' THEN '{{"address": "changed"}}'::jsonb
                   WHEN 'billing.exported' THEN jsonb_build_object('month', to_char(at, 'YYYY-MM'))
                   ELSE '{{}}'::jsonb END
  FROM (SELECT g, {t0} + g::float8 / {STAFF_ACTIONS} * interval '1800 days' AS at,
               {staff} + {h("g", 61)} % {len(STAFF)} AS staff_id,
               1 + {h("g", 62)} % (SELECT count(*) FROM populate_customer) AS customer_id,
               CASE WHEN {h("g", 63)} % 100 < 50 THEN 'staff.login' WHEN {h("g", 63)} % 100 < 55 THEN 'staff.login_failed'
                    WHEN {h("g", 63)} % 100 < 65 THEN 'customer.limit_changed'
                    WHEN {h("g", 63)} % 100 < 75 THEN 'customer.unlocked'
                    WHEN {h("g", 63)} % 100 < 85 THEN 'customer.password_reset'
                    WHEN {h("g", 63)} % 100 < 95 THEN 'customer.changed' ELSE 'billing.exported' END AS action
          FROM generate_series(1, {STAFF_ACTIONS}) AS g) e
  JOIN accounts_user s ON s.id = e.staff_id JOIN accounts_user u ON u.id = e.customer_id""",
        ),
        (
            "audit: customers' logins, failed logins, login codes, logouts, refusals (the rest of the target)",
            f"""INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, ip_address, action, customer_id,
    target, detail)
SELECT e.at + v.delay, 'customer', CASE WHEN NOT v.unknown THEN u.id END,
       CASE WHEN v.unknown THEN '?' || substr(md5('typed' || e.e), 1, 16) ELSE u.username END, e.ip, v.action,
       CASE WHEN NOT v.unknown THEN u.id END,
       CASE WHEN v.unknown THEN '?' || substr(md5('typed' || e.e), 1, 16) WHEN v.targeted THEN u.username ELSE '' END,
       CASE WHEN v.action = 'application.refused'
            THEN jsonb_build_object('reason', 'limit_reached', 'requested', (1 + e.e %% 50)::text, 'limit', 50,
                                    'remaining', 0)
            ELSE v.detail END
  FROM (SELECT e, at, ip, kind,
               1 + {h("e", 71)} %% greatest(1, least(k.n, floor(k.n * extract(epoch FROM at - {t0})
                   / extract(epoch FROM interval '1770 days'))::bigint)) AS customer_id
          FROM (SELECT e, {t0} + (e - 1)::float8 / %(events)s * interval '1800 days' AS at,
                       '100.64.0.0'::inet + {h("e", 72)} %% 4194304 AS ip,
                       CASE WHEN {h("e", 73)} %% 100 < 80 THEN 'ok' WHEN {h("e", 73)} %% 100 < 90 THEN 'wrong_password'
                            WHEN {h("e", 73)} %% 100 < 94 THEN 'unknown' WHEN {h("e", 73)} %% 100 < 98 THEN 'wrong_code'
                            ELSE 'refused' END AS kind
                  FROM generate_series(1, %(events)s) AS e) s
         CROSS JOIN (SELECT count(*) AS n FROM populate_customer) k) e
  JOIN (VALUES
        ('ok', 'login.password_ok', true, '{{}}'::jsonb, false, interval '0'),
        ('ok', 'login.code_sent', true, '{{}}', false, interval '0.2 seconds'),
        ('ok', 'login.succeeded', true, '{{}}', false, interval '45 seconds'),
        ('ok', 'logout', false, '{{}}', false, interval '9 minutes'),
        ('wrong_password', 'login.failed', true, '{{"step": "password", "reason": "wrong_password"}}', false,
         interval '0'),
        ('unknown', 'login.failed', true, '{{"step": "password", "reason": "unknown_id"}}', true, interval '0'),
        ('wrong_code', 'login.password_ok', true, '{{}}', false, interval '0'),
        ('wrong_code', 'login.code_sent', true, '{{}}', false, interval '0.2 seconds'),
        ('wrong_code', 'login.failed', false, '{{"step": "code", "reason": "wrong_code"}}', false, interval '50 seconds'),
        ('refused', 'application.refused', false, '{{}}', false, interval '0')
       ) AS v(kind, action, targeted, detail, unknown, delay) ON v.kind = e.kind
  JOIN accounts_user u ON u.id = e.customer_id""",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument(
        "--audit-per-number",
        type=float,
        default=3.0,
        help="audit entries per number in the pool (default 3: 30 million at ten million numbers)",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("populate.py needs PostgreSQL: set DATABASE_URL")
    started = time.monotonic()
    numbers = max(1000, args.numbers - args.numbers % 10)
    lines = numbers * 9 // 10
    connection.ensure_connection()
    connection.connection.autocommit = True

    def timed(label: str, sql: str, params: dict | None = None) -> None:
        t = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        print(f"{time.monotonic() - t:7.1f} s  {label}", flush=True)

    with connection.cursor() as cursor:
        restore_ddl(cursor)  # what a stopped run left dropped
    call_command("migrate", verbosity=0)
    timed("blank text columns default to '', booleans to false", MODEL_DEFAULTS)
    timed(
        "empty the tables",
        "TRUNCATE letters_letter, orders_issuedline, orders_cancellation, orders_application, core_auditentry, "
        "accounts_customer, accounts_user, accounts_plan, inventory_phonenumber, inventory_poolchange, "
        "inventory_issuecount "
        "RESTART IDENTITY CASCADE; " + "".join(f"DROP TABLE IF EXISTS {table}; " for table in WORK_TABLES),
    )
    with connection.cursor() as cursor:
        t = time.monotonic()
        drop_ddl(cursor)
        print(f"{time.monotonic() - t:7.1f} s  drop secondary indexes and foreign keys for the load", flush=True)

    params: dict = {"numbers": numbers, "lines": lines, "staff_first": 0}
    sql_params = {"tz": settings.TIME_ZONE, "months": settings.SELFCARE_QUARANTINE_MONTHS}
    for label, sql in steps(params)[:3]:
        timed(label, sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM populate_customer")
        params["staff_first"] = cursor.fetchone()[0] + 1
    audit_target = int(numbers * args.audit_per_number)
    for label, sql in steps(params)[3:]:
        if label.startswith("audit: customers' logins"):
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM core_auditentry")
                so_far = cursor.fetchone()[0]
            events = max(0, int((audit_target - so_far) / ENTRIES_PER_LOGIN_EVENT))
            timed(label, sql, {**sql_params, "events": events})
        else:
            timed(label, sql, {**sql_params, "staff_first": params["staff_first"]} if "%(" in sql else None)

    timed(  # what the services write as they change numbers: held, and free from each day (invariant 9)
        "pool tally",
        "INSERT INTO inventory_poolchange (available_from, numbers) "
        "SELECT CASE WHEN status = 'assigned' THEN NULL ELSE available_from END, count(*) "
        "FROM inventory_phonenumber GROUP BY 1",
    )
    timed(  # what the applications write, compacted: the numbers issued each day in the carrier's time zone
        "numbers issued by day",
        "INSERT INTO inventory_issuecount (day, numbers) "
        "SELECT (placed_at AT TIME ZONE %(tz)s)::date, sum(count) FROM orders_application GROUP BY 1",
        {"tz": settings.TIME_ZONE},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET password = %s WHERE username = %s", [make_password(DEMO_PASSWORD), DEMO_ID]
        )
        for table in LOADED_TABLES:  # the rows above were given their ids: the sequences go on after them
            if table != "inventory_phonenumber":
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                    f"FROM {table}"
                )
        t = time.monotonic()
        restore_ddl(cursor)
        print(f"{time.monotonic() - t:7.1f} s  indexes made again, foreign keys validated", flush=True)
        for table in WORK_TABLES:
            cursor.execute(f"DROP TABLE {table}")
    timed("VACUUM ANALYZE", "VACUUM ANALYZE")

    with connection.cursor() as cursor:
        counts = {}
        for table in [*LOADED_TABLES, "accounts_plan"]:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'assigned'), count(*) FILTER (WHERE status = 'free' AND "
            "available_from > current_date) FROM inventory_phonenumber"
        )
        held, quarantined = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM core_auditentry WHERE actor_kind = 'staff'")
        staff_entries = cursor.fetchone()[0]
    print(
        f"{numbers:,} numbers: {held:,} held ({held / numbers:.0%}), {quarantined:,} in quarantine "
        f"({quarantined / numbers:.0%}), {numbers - held - quarantined:,} fresh; "
        f"{counts['accounts_customer']:,} customers, {counts['orders_application']:,} applications, "
        f"{counts['orders_issuedline']:,} lines, {counts['orders_cancellation']:,} cancellations, "
        f"{counts['letters_letter']:,} letters, {counts['core_auditentry']:,} audit entries "
        f"({staff_entries:,} by staff), {len(STAFF)} staff users; {time.monotonic() - started:.0f} s"
    )
    print(f"demo customer: self-care ID {DEMO_ID}, password {DEMO_PASSWORD!r}, 50 numbers")


if __name__ == "__main__":
    main()
