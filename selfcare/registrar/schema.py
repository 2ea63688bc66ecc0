"""What Kamailio reads, as two PostgreSQL views over the portal's own tables.

``registrar_subscriber`` has the columns of Kamailio 5.6's ``subscriber`` table (version 7: id,
username, domain, password, ha1, ha1b), one row per number whose cancellation has not taken effect
(in the carrier's time zone), so a future-dated cancellation is refused from its effective date
without anything having to run. ``password`` is always empty: the registrar checks digests only.
``registrar_version`` is the ``version`` table auth_db checks (``version_table`` in kamailio.cfg).

The read-only role SELFCARE_REGISTRAR_DB_ROLE may SELECT these two views and nothing else. A view
runs with its owner's rights on the table beneath, so the role never needs (nor gets) any right on
orders_issuedline itself. Kamailio logs in as a login role that is a member of it (docs/registrar.md).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

logger = logging.getLogger(__name__)

SUBSCRIBER_VIEW = "registrar_subscriber"
VERSION_VIEW = "registrar_version"
SUBSCRIBER_TABLE_VERSION = 7  # Kamailio 5.6's auth_db checks for it
MIGRATION = ("registrar", "0001_subscriber_view")


def _literal(connection: BaseDatabaseWrapper, value: str) -> str:
    # DDL takes no parameters; the values are settings vetted by registrar.checks, quoted by psycopg.
    from psycopg import sql

    with connection.cursor() as cursor:
        return sql.Literal(value).as_string(cursor.connection)


def subscriber_view_sql(connection: BaseDatabaseWrapper) -> str:
    from selfcare.orders.models import IssuedLine

    quote = connection.ops.quote_name
    # Names quoted by the backend, values by psycopg (and vetted by registrar.checks).
    return f"""
CREATE OR REPLACE VIEW {quote(SUBSCRIBER_VIEW)} AS
SELECT line.id AS id,
       line.number::varchar(64) AS username,
       {_literal(connection, settings.SELFCARE_SIP_DOMAIN)}::varchar(64) AS domain,
       ''::varchar(64) AS password,
       line.sip_ha1::varchar(128) AS ha1,
       line.sip_ha1b::varchar(128) AS ha1b
FROM {quote(IssuedLine._meta.db_table)} AS line
WHERE line.sip_ha1 IS NOT NULL
  AND line.sip_ha1b IS NOT NULL
  AND (line.cancelled_on IS NULL
       OR line.cancelled_on > (now() AT TIME ZONE {_literal(connection, settings.TIME_ZONE)})::date)
"""  # noqa: S608


def version_view_sql(connection: BaseDatabaseWrapper) -> str:
    quote = connection.ops.quote_name
    return f"""
CREATE OR REPLACE VIEW {quote(VERSION_VIEW)} AS
SELECT 1 AS id, 'subscriber'::varchar(32) AS table_name, {SUBSCRIBER_TABLE_VERSION} AS table_version
"""


def registrar_schema_sync(connection: BaseDatabaseWrapper) -> None:
    """Create or replace both views from the current settings and grant them to the registrar role only.

    The role is created (NOLOGIN) when missing and this database user may create roles; otherwise a
    warning says what a database administrator has to run. Safe to run any number of times.
    """
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    role = settings.SELFCARE_REGISTRAR_DB_ROLE
    views = f"{quote(SUBSCRIBER_VIEW)}, {quote(VERSION_VIEW)}"
    with connection.cursor() as cursor:
        cursor.execute(subscriber_view_sql(connection))
        cursor.execute(version_view_sql(connection))
        cursor.execute(f"REVOKE ALL ON {views} FROM PUBLIC")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
        if not exists:
            cursor.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            if row and row[0]:
                # Roles belong to the whole server: another database may have just made it.
                cursor.execute(
                    f"DO $$ BEGIN CREATE ROLE {quote(role)} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                )
                exists = True
        if exists:
            cursor.execute(f"GRANT SELECT ON {views} TO {quote(role)}")
        else:
            logger.warning(
                "The registrar role %s does not exist and this database user may not create it. "
                "Have an administrator run: CREATE ROLE %s NOLOGIN; then run migrate again.",
                role,
                role,
            )


def registrar_schema_drop(connection: BaseDatabaseWrapper) -> None:
    """Drop both views (the role stays: it belongs to the server and may hold rights elsewhere)."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {quote(SUBSCRIBER_VIEW)}, {quote(VERSION_VIEW)}")


def sync_after_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return  # migrated back before the views: nothing of ours to refresh
    registrar_schema_sync(connection)
