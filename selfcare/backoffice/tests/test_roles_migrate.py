"""The staff roles come from ``manage.py migrate`` itself, on a database nothing else has touched."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from selfcare.backoffice.roles import ROLES

ROOT = Path(settings.BASE_DIR)


def migrate(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database_url,
        "SELFCARE_VAR_DIR": str(tmp_path / "var"),
        "CACHE_URL": "",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


ROLE_PERMISSIONS = """
    SELECT g.name, ct.app_label || '.' || p.codename
    FROM auth_group g
    JOIN auth_group_permissions gp ON gp.group_id = g.id
    JOIN auth_permission p ON p.id = gp.permission_id
    JOIN django_content_type ct ON ct.id = p.content_type_id
"""
GRANT_EXTRA = """
    INSERT INTO auth_group_permissions (group_id, permission_id)
    SELECT g.id, p.id FROM auth_group g, auth_permission p
    WHERE g.name = 'auditor' AND p.codename = 'delete_customer'
"""


def expected() -> set[tuple[str, str]]:
    return {(role, permission) for role, permissions in ROLES.items() for permission in permissions}


class Sqlite:
    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"
        self.path = path

    def rows(self, sql: str) -> set[tuple[str, str]]:
        with sqlite3.connect(self.path) as db:
            return set(db.execute(sql).fetchall())

    def run(self, sql: str) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute(sql)


class Postgres:
    def __init__(self, server_url: str, name: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.server_url = server_url
        self.name = name
        self.url = server_url.rsplit("/", 1)[0] + "/" + name

    def create(self) -> None:
        with self.psycopg.connect(self.server_url, dbname="postgres", autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self.psycopg.connect(self.server_url, dbname="postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def rows(self, sql: str) -> set[tuple[str, str]]:
        with self.psycopg.connect(self.url) as db:
            return {tuple(row) for row in db.execute(sql).fetchall()}  # type: ignore[misc]

    def run(self, sql: str) -> None:
        with self.psycopg.connect(self.url, autocommit=True) as db:
            db.execute(sql)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Sqlite:
    return Sqlite(tmp_path / "fresh.sqlite3")


@pytest.fixture
def postgres_database() -> Iterator[Postgres]:
    url = os.environ.get("DATABASE_URL", "")
    database = Postgres(url, f"selfcare_fresh_{uuid.uuid4().hex[:8]}")
    database.create()
    yield database
    database.drop()


def check_roles_follow_migrate(database: Sqlite | Postgres, tmp_path: Path) -> None:
    migrate(database.url, tmp_path)
    assert database.rows(ROLE_PERMISSIONS) == expected()

    # A grant the roles do not hold (as after a permission is taken out of a role) goes at the next migrate.
    database.run(GRANT_EXTRA)
    assert ("auditor", "accounts.delete_customer") in database.rows(ROLE_PERMISSIONS)
    migrate(database.url, tmp_path)
    assert database.rows(ROLE_PERMISSIONS) == expected()


def test_given_a_fresh_sqlite_database_when_migrated_then_every_role_holds_exactly_its_permissions(
    sqlite_database, tmp_path
):
    check_roles_follow_migrate(sqlite_database, tmp_path)


@pytest.mark.postgres
def test_given_a_fresh_postgresql_database_when_migrated_then_every_role_holds_exactly_its_permissions(
    postgres_database, tmp_path
):
    check_roles_follow_migrate(postgres_database, tmp_path)
