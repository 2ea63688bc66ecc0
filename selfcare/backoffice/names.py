"""Roles and permissions as staff read them: in their language, never the identifiers stored in the database.

A role's group keeps its English name (``roles.ROLES``' key, what ``roles_sync`` finds it by) and a
permission its English ``name`` (what ``migrate`` wrote); the staff site shows both in words.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from selfcare.backoffice.roles import ROLE_NAMES

_DEFAULT_ACTIONS = {
    "add": pgettext_lazy("permission", "add"),
    "change": pgettext_lazy("permission", "change"),
    "delete": pgettext_lazy("permission", "delete"),
    "view": pgettext_lazy("permission", "view"),
}
# Models of other libraries whose names are English only.
_MODEL_NAMES = {("otp_totp", "totpdevice"): _("Authenticator app")}


def role_name(name: str) -> str:
    """A role's name in the staff member's language (a group that is no role keeps its own name)."""
    return str(ROLE_NAMES.get(name, name))


def _model_name(permission: Permission) -> str:
    content_type = permission.content_type
    key = (content_type.app_label, content_type.model)
    if key in _MODEL_NAMES:
        return str(_MODEL_NAMES[key])
    model = content_type.model_class()
    return str(model._meta.verbose_name) if model is not None else content_type.model


def permission_label(permission: Permission) -> str:
    """``model: what it allows``, e.g. 契約者: 閲覧 for ``accounts.view_customer`` (stored as "Can view customer")."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if action in _DEFAULT_ACTIONS and model is not None and model_name == model._meta.model_name:
        allows = str(_DEFAULT_ACTIONS[action])
    else:
        own = dict(model._meta.permissions) if model is not None else {}
        allows = str(own.get(permission.codename) or gettext(permission.name))
    return f"{_model_name(permission)}: {allows}"
