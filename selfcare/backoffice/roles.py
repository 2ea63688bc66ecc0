"""Staff roles as Django groups, each with its share of permissions (kept in step after every migrate)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import pgettext_lazy

ROLES: dict[str, list[str]] = {
    "customer centre": [
        "accounts.view_customer",
        "accounts.view_plan",
        "accounts.unlock_customer",
        "orders.view_application",
        "orders.view_issuedline",
        "orders.view_cancellation",
        "orders.add_cancellation",
        "letters.view_letter",
        "letters.print_letter",
        "letters.post_letter",
        "inventory.view_phonenumber",
        "orders.reissue_sip_password",
        "integrations.view_apikey",
        "integrations.revoke_apikey",
        "integrations.view_webhookendpoint",
    ],
    "sales": [
        "accounts.view_customer",
        "accounts.add_customer",
        "accounts.change_customer",
        "accounts.view_plan",
        "orders.view_application",
        "orders.view_issuedline",
        "orders.export_billing",
    ],
    "inventory manager": [
        "inventory.view_phonenumber",
        "inventory.import_numbers",
        "orders.view_issuedline",
    ],
    "auditor": [
        "audit.view_auditentry",
    ],
    "operations": [
        "jobs.view_job",
        "jobs.retry_job",
    ],
}

# What staff see: the keys above stay the groups' names in the database (and the roles' identifiers).
ROLE_NAMES: dict[str, Any] = {
    "customer centre": pgettext_lazy("staff role", "customer centre"),
    "sales": pgettext_lazy("staff role", "sales"),
    "inventory manager": pgettext_lazy("staff role", "inventory manager"),
    "auditor": pgettext_lazy("staff role", "auditor"),
    "operations": pgettext_lazy("staff role", "operations"),
}


def roles_sync(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make each role's group hold exactly its permissions: missing ones granted, others withdrawn."""
    for name, codenames in ROLES.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = (
                Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename).first()
            )
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)


def roles_sync_after_migrate(sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Sync the roles once per ``migrate`` (and ``flush``), after every app's permissions exist.

    Django sends post_migrate once for each app that has models, in INSTALLED_APPS order, and
    creates that app's permissions in the same round; the back office has no models, so it is
    never a sender itself. The round of the last app with models is the one where all exist.
    """
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if with_models and sender.label == with_models[-1].label:
        roles_sync(using=using)
