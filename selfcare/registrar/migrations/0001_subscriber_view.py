"""The registrar's views and read-only role on PostgreSQL (selfcare/registrar/schema.py); nothing on SQLite.

Every later migrate refreshes the views from the settings too (post_migrate), so a changed
SELFCARE_SIP_DOMAIN reaches the registrar with the next `manage.py migrate`.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from selfcare.registrar.schema import registrar_schema_sync

    registrar_schema_sync(schema_editor.connection)


def backwards(apps, schema_editor):
    from selfcare.registrar.schema import registrar_schema_drop

    registrar_schema_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_sip_digests_and_reissue")]

    operations = [migrations.RunPython(forwards, backwards)]
