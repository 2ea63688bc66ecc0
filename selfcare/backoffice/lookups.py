"""Which query-string lookups a staff list accepts: those its own filters and date drill-down send.

Django's admin lets a list's query string filter on any lookup of the model's own columns
(``?sip_ha1__startswith=5e``, ``?key__regex=^ab``), the list's filters or not. On a column
that holds a secret that is a yes/no oracle: a digest, a TOTP key or a code's hash is read
a character at a time. The staff site therefore accepts only the parameters its list filters
and date hierarchy use (and the raw-id popups' ``limit_choices_to``); anything else is refused
with Django's "filtering not allowed" (400), never applied.

The site applies this to every model admin it registers, its own and other apps' alike.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateField
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

# The parameters Django's field filters send for a filtered column (FieldListFilter and its kinds).
FIELD_FILTER_LOOKUPS = ("exact", "isnull", "isempty")
DATE_FILTER_LOOKUPS = ("gte", "lt", "isnull")
DATE_HIERARCHY_LOOKUPS = ("year", "month", "day")


class StrictLookupsMixin:
    """``lookup_allowed`` for the parameters the list's own filters use, and no other."""

    model: Any
    date_hierarchy: str | None

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if (lookup, value) in _fkey_popup_params(self.model):
            return True
        return lookup in filter_parameters(self, request)  # type: ignore[arg-type]


def filter_parameters(model_admin: admin.ModelAdmin, request: HttpRequest | None) -> set[str]:
    """Every query-string parameter the list's filters and date hierarchy can send."""
    names: set[str] = set()
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in DATE_HIERARCHY_LOOKUPS)
    list_filter = model_admin.get_list_filter(request) if request is not None else model_admin.list_filter
    for item in list_filter:
        if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
            names.add(item.parameter_name)  # type: ignore[arg-type]
            continue
        path = item[0] if isinstance(item, list | tuple) else item
        if isinstance(path, str):
            names.update(_field_parameters(model_admin.model, path))
    return names


def _field_parameters(model: Any, path: str) -> set[str]:
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return set()
    if field.is_relation:
        target = getattr(field, "target_field", None)
        target_name = target.name if target is not None else "pk"
        return {f"{path}{LOOKUP_SEP}{target_name}{LOOKUP_SEP}exact", f"{path}{LOOKUP_SEP}isnull"}
    lookups = FIELD_FILTER_LOOKUPS + (DATE_FILTER_LOOKUPS if isinstance(field, DateField) else ())
    return {path} | {f"{path}{LOOKUP_SEP}{lookup}" for lookup in lookups}  # the bare path: "all values" filters


def _fkey_popup_params(model: Any) -> set[tuple[str, str]]:
    """What a raw-id popup opened from another model's ``limit_choices_to`` filters this list on."""
    params: set[tuple[str, str]] = set()
    for fk_lookup in model._meta.related_fkey_lookups:
        if callable(fk_lookup):
            fk_lookup = fk_lookup()
        params.update(url_params_from_lookup_dict(fk_lookup).items())
    return params


def strict(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """``admin_class`` with the strict lookups in front of its own (once)."""
    if issubclass(admin_class, StrictLookupsMixin):
        return admin_class
    return type(admin_class.__name__, (StrictLookupsMixin, admin_class), {"__module__": admin_class.__module__})
