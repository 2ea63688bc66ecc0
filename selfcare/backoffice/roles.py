"""Staff roles as Django groups, each with its share of permissions (kept in step after every migrate)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

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
        "core.view_auditentry",
    ],
}


def roles_sync() -> None:
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)


def roles_sync_after_migrate(**kwargs: Any) -> None:
    roles_sync()
