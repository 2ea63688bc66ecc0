"""Migration operations for what only PostgreSQL has: the search indexes (trigram, pattern operators).

SQLite answers the same queries without them, so there they do nothing. The indexes are made with
``CONCURRENTLY`` (the migration must not be atomic): on a live database holding millions of rows the
tables stay writable while they are built.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


class PostgreSQLIndex(migrations.RunSQL):
    """``CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON table …`` on PostgreSQL, nothing elsewhere."""

    def __init__(self, name: str, table: str, definition: str) -> None:
        self.name = name
        super().__init__(
            sql=f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}",
            reverse_sql=f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
            elidable=False,
        )

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Create the index {self.name} (PostgreSQL only)"


class PostgreSQLExtension(migrations.RunSQL):
    """An extension PostgreSQL ships (``pg_trgm`` is "trusted": the database's owner may create it)."""

    def __init__(self, name: str) -> None:
        super().__init__(sql=f"CREATE EXTENSION IF NOT EXISTS {name}", reverse_sql=migrations.RunSQL.noop)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        return None
