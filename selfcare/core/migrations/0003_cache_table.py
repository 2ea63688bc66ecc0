"""The database cache's table (sessions, login throttles), so that ``migrate`` alone is enough.

The table name is fixed here, not read from the settings: a migration describes one schema.
An existing table (made earlier by ``createcachetable``) is kept as it is.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "selfcare_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    if TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_write_once")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
