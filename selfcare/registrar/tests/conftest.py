from __future__ import annotations

import secrets

import pytest
from django.conf import settings
from django.db import connection

from selfcare.registrar.tests.kamailio import Registrar


@pytest.fixture(scope="session")
def registrar_login(django_db_setup, django_db_blocker):
    """A login role for Kamailio that is a member of the read-only registrar role, as in production.

    Roles belong to the whole PostgreSQL server: this one has a random name and is dropped at the end.
    """
    name = f"selfcare_registrar_test_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    quote = connection.ops.quote_name
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE ROLE {quote(name)} LOGIN PASSWORD %s IN ROLE {quote(settings.SELFCARE_REGISTRAR_DB_ROLE)}",
            [password],
        )
    yield name, password
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {quote(name)}")


def registrar_db_url(login: tuple[str, str]) -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{login[0]}:{login[1]}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def registrar(registrar_login, transactional_db, settings):
    """A running Kamailio reading this test database (rows must be committed: transactional tests),
    with the portal's SELFCARE_REGISTRAR_CTL pointing at it."""
    running = Registrar(db_url=registrar_db_url(registrar_login))
    try:
        running.start()
        settings.SELFCARE_REGISTRAR_CTL = running.ctl_address
        settings.SELFCARE_KAMCMD = "/usr/sbin/kamcmd"
        yield running
    finally:
        running.stop()
