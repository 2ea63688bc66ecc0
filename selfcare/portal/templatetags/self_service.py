"""Filters of the portal's pages: key scopes, webhook events and delivery outcomes in words, the centre's number."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
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


@dataclass(frozen=True)
class Outcome:
    text: str
    """What happened, in words."""
    check: str
    """What to look at on the receiving side ("" when it was received)."""


@register.filter
def attempt_outcome(attempt: Any) -> Outcome:
    """One delivery attempt's outcome (a stored code such as ``tls_failed``) in words, with what to check."""
    status, outcome = attempt.status_code, attempt.outcome
    if status is not None and 200 <= status < 300:
        return Outcome(_("Received (HTTP %(status)d)") % {"status": status}, "")
    if status is not None and 300 <= status < 400:
        return Outcome(
            _("Redirected (HTTP %(status)d)") % {"status": status},
            _("Redirects are not followed: register the final https:// URL."),
        )
    if status is not None and 400 <= status < 500:
        return Outcome(
            _("Refused by the receiver (HTTP %(status)d)") % {"status": status},
            _("Check the URL's path, the receiver's authentication and its signature check (it must answer 2xx)."),
        )
    if status is not None:
        return Outcome(
            _("Error at the receiver (HTTP %(status)d)") % {"status": status},
            _("Check the receiving server's logs: it must answer 2xx."),
        )
    seconds = int(settings.SELFCARE_WEBHOOK_TIMEOUT_SECONDS)
    known = {
        "timeout": (
            _("No answer within %(seconds)d seconds") % {"seconds": seconds},
            _("The receiver must answer 2xx within %(seconds)d seconds: answer first, then process the event.")
            % {"seconds": seconds},
        ),
        "tls_failed": (
            _("Secure (TLS) connection failed"),
            _(
                "Check the server certificate: not expired, issued for the URL's host name by a public certificate"
                " authority, sent with its intermediate certificates."
            ),
        ),
        "connection_failed": (
            _("Could not connect"),
            _("Check that the server is running and that its port and firewall accept connections from us."),
        ),
        "refused_address": (
            _("Not sent: the URL's host is not a public address"),
            _("Webhooks go only to public addresses: check the host name's DNS records."),
        ),
    }
    text, check = known.get(outcome, (outcome, ""))
    return Outcome(text, check)


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
