"""The audit log is now the ``audit`` app's (its table stays where it is): core keeps no model."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0004_search_indexes"), ("audit", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel("AuditEntry")], database_operations=[]
        ),
    ]
