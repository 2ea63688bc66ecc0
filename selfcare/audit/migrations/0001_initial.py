"""The audit log moves from core to an app of its own, keeping its table (``core_auditentry``), its
trigger and its indexes: only Django's state and the content type (so staff permissions stay) move."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_move(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="audit", model="auditentry").exists():
        ContentType.objects.filter(app_label="core", model="auditentry").update(app_label="audit")


def content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="core", model="auditentry").exists():
        ContentType.objects.filter(app_label="audit", model="auditentry").update(app_label="core")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("core", "0004_search_indexes"),
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(content_type_move, content_type_back),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True, verbose_name="when")),
                        (
                            "actor_kind",
                            models.CharField(
                                choices=[("customer", "customer"), ("staff", "staff"), ("system", "system")],
                                max_length=16,
                                verbose_name="actor kind",
                            ),
                        ),
                        ("actor_label", models.CharField(max_length=150, verbose_name="actor name")),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="from")),
                        ("action", models.CharField(max_length=64, verbose_name="action")),
                        ("target", models.CharField(blank=True, max_length=128, verbose_name="target")),
                        ("detail", models.JSONField(blank=True, default=dict, verbose_name="detail")),
                        (
                            "actor_user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="actor",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_entries",
                                to="accounts.customer",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit log",
                        "db_table": "core_auditentry",
                        "ordering": ["-at", "-id"],
                        "indexes": [
                            models.Index(fields=["customer", "at"], name="audit_customer_at_idx"),
                            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
