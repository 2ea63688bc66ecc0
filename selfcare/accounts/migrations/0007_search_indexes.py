"""Indexes for the staff searches (selfcare.backoffice.search): contains-searches of self-care IDs, e-mail
addresses and contract names, whatever the case, through trigram indexes of their upper-case form (what
Django's ``icontains`` compares on PostgreSQL)."""

from django.db import migrations

from selfcare.core.migration_ops import PostgreSQLExtension, PostgreSQLIndex


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("accounts", "0006_user_password_change_required")]

    operations = [
        PostgreSQLExtension("pg_trgm"),
        PostgreSQLIndex("user_username_trgm_idx", "accounts_user", "USING gin (UPPER(username) gin_trgm_ops)"),
        PostgreSQLIndex("user_email_trgm_idx", "accounts_user", "USING gin (UPPER(email) gin_trgm_ops)"),
        PostgreSQLIndex(
            "customer_contract_name_trgm_idx", "accounts_customer", "USING gin (UPPER(contract_name) gin_trgm_ops)"
        ),
    ]
