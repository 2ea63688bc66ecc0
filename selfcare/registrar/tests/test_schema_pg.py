"""The registrar's view of the portal's database: Kamailio 5.6's subscriber table, live numbers only,
digests only, readable by the registrar role and nothing else readable by it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from selfcare.core import clock
from selfcare.orders.credentials import sip_digests
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add, numbers_cancel, sip_password_reissue
from selfcare.registrar.schema import registrar_schema_sync
from selfcare.registrar.tests.conftest import registrar_db_url

pytestmark = pytest.mark.postgres

KAMAILIO_SCHEMA = Path("/usr/share/kamailio/postgres/auth_db-create.sql")


def subscribers() -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT username, domain, password, ha1, ha1b FROM registrar_subscriber ORDER BY username")
        return {row[0]: row[1:] for row in cursor.fetchall()}


def columns(relation: str) -> list[tuple[str, str, int | None]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            [relation],
        )
        return cursor.fetchall()


def test_given_kamailios_own_schema_then_the_view_has_its_subscriber_columns_and_version(db):
    if not KAMAILIO_SCHEMA.exists():
        pytest.fail(f"{KAMAILIO_SCHEMA} is missing: install kamailio-postgres-modules (scripts/test does).")
    sql = KAMAILIO_SCHEMA.read_text()
    table = re.search(r"CREATE TABLE subscriber \((.*?)\n\);", sql, re.S)
    assert table, sql
    expected = [
        (match.group(1), match.group(2))
        for match in re.finditer(r"^\s+(\w+) (VARCHAR\(\d+\)|SERIAL)", table.group(1), re.M)
    ]
    version = re.search(r"values \('subscriber','(\d+)'\)", sql)
    assert version, sql

    found = columns("registrar_subscriber")
    assert [name for name, _type, _length in found] == [name for name, _type in expected]
    for (name, data_type, length), (_name, kamailio_type) in zip(found, expected, strict=True):
        if kamailio_type.startswith("VARCHAR"):
            assert (data_type, length) == ("character varying", int(kamailio_type[8:-1])), name
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_version FROM registrar_version WHERE table_name = 'subscriber'")
        assert cursor.fetchall() == [(int(version.group(1)),)]


def test_given_issued_and_cancelled_lines_then_only_numbers_still_held_today_with_digests_and_no_password(
    customer, pool, actor, settings
):
    placement = numbers_add(customer_id=customer.pk, count=3, idempotency_key="k", actor=actor)
    live, later, now_cancelled = placement.application.lines.order_by("number_id")
    today = clock.today()
    numbers_cancel(numbers=[later.number_id], received_on=today, effective_on=today + dt.timedelta(days=1), actor=actor)
    numbers_cancel(numbers=[now_cancelled.number_id], received_on=today, actor=actor)

    rows = subscribers()

    assert sorted(rows) == [live.number_id, later.number_id]
    for line in (live, later):
        password = line.sip_password()
        digests = sip_digests(number=line.number_id, password=password)
        assert rows[line.number_id] == (settings.SELFCARE_SIP_DOMAIN, "", digests.ha1, digests.ha1b)
        assert not any(password in str(value) for value in rows[line.number_id])


def test_given_an_application_that_fails_after_its_lines_then_the_registrar_sees_none_of_them(
    customer, pool, actor, monkeypatch
):
    from selfcare.orders import services

    def failing_audit(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", failing_audit)

    with pytest.raises(RuntimeError):
        numbers_add(customer_id=customer.pk, count=3, idempotency_key="k", actor=actor)

    assert subscribers() == {}
    assert not IssuedLine.objects.exists()


def test_given_a_reissue_then_the_view_has_the_new_digest_at_once(customer, pool, actor):
    placement = numbers_add(customer_id=customer.pk, count=1, idempotency_key="k", actor=actor)
    (line,) = placement.application.lines.all()
    old = subscribers()[line.number_id]

    sip_password_reissue(line_id=line.pk, actor=actor)

    new = subscribers()[line.number_id]
    password = IssuedLine.objects.get(pk=line.pk).sip_password()
    assert new != old
    assert new[2] == sip_digests(number=line.number_id, password=password).ha1


def test_given_the_registrar_role_then_it_may_only_select_the_two_views(db, settings):
    role = settings.SELFCARE_REGISTRAR_DB_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [role])
        assert cursor.fetchall() == [(False,)]  # a group role: Kamailio logs in as a member of it
        cursor.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s ORDER BY table_name, privilege_type",
            [role],
        )
        assert cursor.fetchall() == [("registrar_subscriber", "SELECT"), ("registrar_version", "SELECT")]
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p') "
            "AND has_table_privilege(%s, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')",
            [role],
        )
        assert sorted(row[0] for row in cursor.fetchall()) == ["registrar_subscriber", "registrar_version"]


def test_given_kamailios_login_then_it_reads_the_view_and_nothing_else(
    registrar_login, transactional_db, customer, pool, actor
):
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="k", actor=actor)
    url = registrar_db_url(registrar_login).replace("postgres://", "postgresql://", 1)

    with psycopg.connect(url, autocommit=True) as kamailio:
        rows = kamailio.execute("SELECT username, ha1 FROM registrar_subscriber").fetchall()
        assert len(rows) == 1 and len(rows[0][1]) == 32
        for statement in (
            "SELECT * FROM orders_issuedline",
            "SELECT * FROM core_auditentry",
            "SELECT * FROM accounts_user",
            "DELETE FROM registrar_subscriber",
            "CREATE TABLE subscriber (id integer)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                kamailio.execute(statement)
        # Computed columns cannot be written through the view by anyone; the role could not anyway.
        assert not kamailio.execute(
            "SELECT has_table_privilege('registrar_subscriber', 'UPDATE')"
            " OR has_table_privilege('registrar_version', 'INSERT')"
        ).fetchone()[0]


def test_given_a_new_domain_when_migrate_runs_then_the_view_follows_it(customer, pool, actor, settings):
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="k", actor=actor)
    settings.SELFCARE_SIP_DOMAIN = "voip.example.jp"

    call_command("migrate", verbosity=0)  # every migrate refreshes the views (post_migrate)

    # (PostgreSQL's DDL is transactional: the test's rollback restores the view.)
    assert {row[0] for row in subscribers().values()} == {"voip.example.jp"}


def test_given_the_sync_runs_twice_then_nothing_breaks_and_the_grants_stay(db, settings):
    registrar_schema_sync(connection)
    registrar_schema_sync(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'registrar_subscriber', 'SELECT')", [settings.SELFCARE_REGISTRAR_DB_ROLE]
        )
        assert cursor.fetchone() == (True,)
