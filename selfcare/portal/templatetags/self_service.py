"""Filters of the portal's pages: API key scopes and webhook events in words, the customer centre's number."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext_lazy

from selfcare.integrations import display

register = template.Library()


@register.filter
def scope_labels(codes: Iterable[str]) -> list[display.Label]:
    return display.scope_labels(codes or [])


@register.filter
def event_labels(codes: Iterable[str]) -> list[display.Label]:
    return display.event_labels(codes or [])


@register.filter
def event_labels_one(code: str) -> list[display.Label]:
    """One event (a delivery's), as a list of one for the same template markup."""
    return display.event_labels([code])


@register.filter
def phone_link(phone: str) -> str:
    """The customer centre's number as a link to dial, never split across lines (it sits inside sentences)."""
    return format_html('<a class="phone" href="tel:{}">{}</a>', phone, phone)


PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What each value in a problem's message stands for (the page lists the messages without their values).
PLACEHOLDERS = {
    "minimum": pgettext_lazy("placeholder", "minimum"),
    "maximum": pgettext_lazy("placeholder", "maximum"),
    "limit": pgettext_lazy("placeholder", "limit"),
    "remaining": pgettext_lazy("placeholder", "numbers left"),
    "requested": pgettext_lazy("placeholder", "numbers asked for"),
    "line_id": pgettext_lazy("placeholder", "ID"),
    "number": pgettext_lazy("placeholder", "050 number"),
    "cancelled_on": pgettext_lazy("placeholder", "date"),
    "expired_at": pgettext_lazy("placeholder", "date and time"),
    "address": pgettext_lazy("placeholder", "address"),
    "scope": pgettext_lazy("placeholder", "scope"),
    "retry_after": pgettext_lazy("placeholder", "N"),
    "value": pgettext_lazy("placeholder", "value"),
}


@register.filter
def problem_message(message: str) -> str:
    """A message with its values left out: each {name} reads as what it stands for, in 〈 〉."""
    parts = PLACEHOLDER.split(str(message))
    html = []
    for index, part in enumerate(parts):
        if index % 2:
            html.append(format_html('<var class="param">〈{}〉</var>', PLACEHOLDERS.get(part, "…")))
        else:
            html.append(conditional_escape(part))
    return mark_safe("".join(html))  # noqa: S308 - every piece escaped above
