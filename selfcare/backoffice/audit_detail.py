"""An audit entry's detail as staff read it: ``label: value`` lines in their language, never a secret.

The stored detail stays as recorded (JSON with stable English keys, also in the CSV export); only
its display is translated. A key this module does not know is shown as stored, so a new detail is
never hidden, only untranslated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import pgettext_lazy

from selfcare.accounts.models import Customer
from selfcare.backoffice.customer_page import plan_label
from selfcare.backoffice.names import role_name
from selfcare.integrations.models import EVENTS
from selfcare.inventory.models import format_number
from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine


def _label(text: str) -> Promise:
    return pgettext_lazy("audit detail", text)


KEY_LABELS: dict[str, Promise] = {
    "why": _label("why posting stopped"),
    "added": _label("numbers added"),
    "allowed_networks": _label("allowed client addresses"),
    "addition_limit": _label("addition limit"),
    "address": _label("contract address"),
    "application": _label("application number"),
    "available": _label("numbers issuable"),
    "available_from": _label("issuable from"),
    "change": _label("change"),
    "code_id": _label("enrolment code no."),
    "codes": _label("codes voided"),
    "consecutive_failures": _label("consecutive failures"),
    "contract_name": _label("contract name"),
    "count": _label("numbers added"),
    "current_login": _label("current password"),
    "devices": _label("authenticators removed"),
    "effective_on": _label("cancelled from"),
    "email": _label("registered e-mail"),
    "events": _label("events notified"),
    "expires_at": _label("valid until"),
    "for": _label("code confirms"),
    "from": _label("before"),
    "kind": _label("kind"),
    "layout": _label("layout"),
    "letter": _label("letter no."),
    "letters": _label("letters"),
    "letters_blanked": _label("printed letters blanked"),
    "letters_withdrawn": _label("letters whose posting was stopped"),
    "limit": _label("addition limit"),
    "line": _label("050 number (line)"),
    "lines": _label("lines"),
    "monthly_fee_per_number": _label("monthly fee per number (yen)"),
    "name": _label("name"),
    "numbers": _label("050 numbers"),
    "outcome": _label("outcome"),
    "pending_letter": _label("the letter with that new password"),
    "pending_letter_voided": _label("new password from a letter voided"),
    "plan": _label("plan"),
    "previous_login": _label("previous password"),
    "postal_code": _label("postal code"),
    "posted_at": _label("posted"),
    "print_count": _label("times printed"),
    "reason": _label("reason"),
    "received_on": _label("form received"),
    "reissued_at": _label("reissued"),
    "remaining": _label("entries left"),
    "replaced": _label("codes replaced"),
    "replaces_pending": _label("replaces a new password not yet used"),
    "requested": _label("numbers asked for"),
    "retention_days": _label("days kept after posting"),
    "scopes": _label("permissions"),
    "skipped": _label("numbers skipped (already known)"),
    "step": _label("step"),
    "to": _label("after"),
    "url": _label("endpoint URL"),
    "voided": _label("code voided"),
}

# Coded values, by the key they are stored under.
VALUE_LABELS: dict[str, dict[str, Promise]] = {
    "why": dict(Letter.Withdrawal.choices),  # the letter page's own words
    "pending_letter": {
        "withdrawn": _label("not yet posted: posting stopped"),
        "posted": _label("already posted: its password no longer works"),
    },
    "step": {
        "password": _label("password"),
        "current_password": _label("current password (password change)"),
        "code": _label("e-mailed code"),
        "otp": _label("authenticator code"),
        "enrolment_code": _label("enrolment code"),
    },
    "reason": {
        "unknown_id": _label("unknown ID"),
        "wrong_password": _label("wrong password"),
        "locked": _label("logins paused"),
        "not_a_customer": _label("not a customer's account"),
        "no_valid_code": _label("no valid code"),
        "wrong_code": _label("wrong code"),
        "throttled": _label("too many attempts"),
        "used": _label("code already used"),
        "replaced": _label("replaced by a newer code"),
        "voided": _label("code voided"),
        "voided_by_reset": _label("voided when the authenticator was removed"),
        "expired": _label("code expired"),
        "authenticator_removed": _label("authenticator removed"),
        "limit_reached": _label("addition limit reached"),
        "customer_suspended": _label("contract suspended"),
        "pool_short": _label("not enough issuable numbers"),
        "bad_count": _label("count not accepted"),
        "busy": _label("busy"),
    },
    "outcome": {
        "no_account": _label("no such self-care ID"),
        "email_mismatch": _label("e-mail does not match"),
        "not_active": _label("contract or login not active"),
        "letter_waiting": _label("a letter is still waiting to be posted"),
        "letter_recent": _label("a letter was queued in the last day"),
        "letter_queued": _label("new initial password queued on a letter"),
    },
    "current_login": {"kept": _label("keeps working until the new one is used")},
    "previous_login": {"stopped": _label("stopped")},
    "layout": {
        "excel": _label("Excel (UTF-8 with BOM)"),
        "system": _label("billing system (UTF-8)"),
    },
    "kind": {str(value): label for value, label in Letter.Kind.choices},
    "events": dict(EVENTS),  # the customer's webhook page's own words
    # What an e-mailed code confirmed (the portal's self-service purposes).
    "for": {
        "api_key.create": _label("making an API key"),
        "webhook.register": _label("registering a webhook endpoint"),
        "webhook.rotate": _label("replacing a webhook signing secret"),
        "sip_password.reissue": _label("reissuing an IP phone password"),
    },
    "status": {str(value): label for value, label in Customer.Status.choices},
}

# A detail never holds a secret (invariant 6); should one ever be recorded by mistake, it is not shown.
_SECRET_MARKS = ("password", "secret", "token", "hash", "digest", "ha1", "otp_key", "private")
_HIDDEN = _label("(not shown)")


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered == "code" or any(mark in lowered for mark in _SECRET_MARKS)


def _value(key: str, value: Any, *, coded: str | None = None) -> str:
    if value is None or value == "" or value == [] or value == ():
        return "—"
    if isinstance(value, bool):
        return str(_label("yes") if value else _label("no"))
    if isinstance(value, list | tuple):
        return ", ".join(_value(key, item, coded=coded) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{label}: {text}" for label, text in detail_pairs(value))
    text = str(value)
    if text in ("True", "False"):  # a staff edit records its fields as text
        return str(_label("yes") if text == "True" else _label("no"))
    if key == "numbers" and len(text) == 11 and text.startswith("050"):
        return format_number(text)
    if key == "plan":
        return plan_label(text)
    if key == "line":
        return _line_number(text)
    if key == "groups":  # a staff account's roles, recorded by their stored names
        return role_name(text)
    labels = VALUE_LABELS.get(coded or key)
    if labels is not None and text in labels:
        return str(labels[text])
    if key.endswith("_at"):
        return _moment(text)
    return text


def _line_number(text: str) -> str:
    """A line by the 050 number it holds (an internal line id means nothing to staff), or said to be an id."""
    number = (
        IssuedLine.objects.filter(pk=int(text)).values_list("number_id", flat=True).first()
        if text.isascii() and text.isdigit() and len(text) < 19
        else None
    )
    return format_number(number) if number else str(_INTERNAL_LINE) % {"id": text}


_INTERNAL_LINE = _label("internal line id %(id)s (no number found)")


def _moment(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return date_format(localtime(moment), "Y-m-d H:i")


def _coded_as(key: str, detail: dict[str, Any]) -> str | None:
    # "from"/"to" of a contract's status carry the status codes.
    if key in ("from", "to") and all(str(detail.get(side)) in VALUE_LABELS["status"] for side in ("from", "to")):
        return "status"
    return None


# A staff edit of these models (``<model>.created`` / ``<model>.changed``) records the form's field names.
_EDITED_MODELS = {"user": "accounts.User", "group": "auth.Group", "plan": "accounts.Plan"}


def _key_label(key: str, action: str) -> str:
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    model_name = _EDITED_MODELS.get(action.partition(".")[0])
    if model_name is not None:
        try:
            return str(apps.get_model(model_name)._meta.get_field(key).verbose_name)
        except (LookupError, FieldDoesNotExist):
            pass
    return key


def detail_pairs(detail: Any, action: str = "") -> list[tuple[str, str]]:
    """(label, value) for each stored key, in stored order; a secret-looking key's value is replaced."""
    if not isinstance(detail, dict):
        return [] if detail in (None, "", {}) else [(str(_label("detail")), str(detail))]
    pairs = []
    for key, value in detail.items():
        label = _key_label(key, action)
        if is_secret_key(key):
            pairs.append((label, str(_HIDDEN)))
        elif isinstance(value, list) and len(value) == 2 and key not in ("numbers", "codes") and key in _CHANGED:
            pairs.append((label, f"{_value(key, value[0])} → {_value(key, value[1])}"))
        else:
            pairs.append((label, _value(key, value, coded=_coded_as(key, detail))))
    return pairs


# Keys that a change records as [before, after] (customer.changed).
_CHANGED = frozenset({"contract_name", "postal_code", "address", "plan", "email"})


def detail_html(detail: Any, action: str = "") -> SafeString:
    """One ``label: value`` line per key, escaped."""
    pairs: Iterable[tuple[str, str]] = detail_pairs(detail, action)
    return format_html_join(mark_safe("<br>"), "{}: {}", pairs)


def detail_text(detail: Any, action: str = "") -> str:
    """The same lines as plain text (a CSV cell): one ``label: value`` per line."""
    return "\n".join(f"{label}: {value}" for label, value in detail_pairs(detail, action))


# Targets stored as ``<kind>:<id>``, named by their model as the staff lists name them.
_TARGET_MODELS = {
    "letter": "letters.Letter",
    "cancellation": "orders.Cancellation",
    "job": "jobs.Job",
    "webhook": "integrations.WebhookEndpoint",
}


def target_text(target: str) -> str:
    """An entry's target as staff read it: 050-1234-5678 for a number, 郵送物 No.7 for ``letter:7``; anything
    else (a self-care ID, an application number, a month) as stored."""
    if len(target) == 11 and target.startswith("050") and target.isascii() and target.isdigit():
        return format_number(target)
    kind, sep, pk = target.partition(":")
    if sep and kind in _TARGET_MODELS and pk:
        name = apps.get_model(_TARGET_MODELS[kind])._meta.verbose_name
        return str(_TARGET_NAMED) % {"name": name, "id": pk}
    return target


_TARGET_NAMED = _label("%(name)s No.%(id)s")
