"""Indexes for the staff searches (selfcare.backoffice.search): an audit entry by its target (a number, an
application number, a self-care ID), whole or by its start."""

from django.db import migrations

from selfcare.core.migration_ops import PostgreSQLIndex


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("core", "0003_cache_table")]

    operations = [
        PostgreSQLIndex("audit_target_prefix_idx", "core_auditentry", "(target varchar_pattern_ops)"),
    ]
