"""Names on the staff site's pages that Django's admin would take from a model or a group's stored name."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from selfcare.backoffice.names import role_name as _role_name
from selfcare.backoffice.site import staff_crumbs as _staff_crumbs

register = template.Library()


@register.filter
def role_name(name: str) -> str:
    return _role_name(name)


@register.simple_tag
def staff_crumbs(opts: Any) -> dict[str, str]:
    """The section and the list a model's pages sit under, as the staff site's menu names them."""
    section, section_url, plural = _staff_crumbs(opts)
    return {
        "section": section,
        "section_url": section_url or reverse("admin:app_list", kwargs={"app_label": opts.app_label}),
        "plural": plural,
    }
