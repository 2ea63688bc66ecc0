"""On PostgreSQL the database itself refuses to change or delete an audit entry (invariant 8).

The model refuses too, on every database; the trigger also stops bulk updates, raw SQL and
the admin. Only TRUNCATE, which needs the table owner, gets past it.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION core_auditentry_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are written once and never changed or deleted';
END $$;
CREATE TRIGGER core_auditentry_write_once BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_write_once();
"""

DROP = """
DROP TRIGGER IF EXISTS core_auditentry_write_once ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_write_once();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
