"""A fresh code e-mailed to confirm a sensitive change made behind the login (an API key, a webhook's
secret, a reissued IP phone password): a session alone, left open or stolen, cannot make one.

The same rules as the login code (rules.md, *login*): 6 digits, valid 10 minutes, single use, kept
only as a keyed hash, void after 5 wrong entries; a new code at the earliest 60 seconds after the
last and at most 5 an hour per customer (counted in the shared cache, so every app server counts
alike). The hash is bound to the user and to what the code confirms, so a code sent for one
change never confirms another. The caller keeps the returned state (the portal: in the session,
which lives in the database) and hands it back to ``fresh_code_check``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import smtplib
import unicodedata
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.debug import sensitive_variables

from selfcare.accounts.login import CODE_DIGITS, CODE_MAX_FAILURES, CODE_RESEND_AFTER, CODE_VALID, CODES_PER_HOUR
from selfcare.accounts.login_errors import (
    CodeLimitReached,
    CodeNoLongerValid,
    CodeNotSent,
    CodeResendTooSoon,
    CodeWrong,
)
from selfcare.accounts.models import Customer
from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.core.cache import count_in_window

logger = logging.getLogger(__name__)


def _hash(user_id: int, purpose: str, code: str) -> str:
    return salted_hmac("selfcare.fresh-code", f"{user_id}:{purpose}:{code}", algorithm="sha256").hexdigest()


def _seconds_left(sent_at: Any, now: dt.datetime, pause: int) -> int:
    """Whole seconds until a new code may go (at least 1; the full pause if the marker is unreadable)."""
    if not isinstance(sent_at, int | float):
        return pause
    return min(pause, max(1, math.ceil(sent_at + pause - now.timestamp())))


@sensitive_variables("code")
def fresh_code_send(*, customer: Customer, purpose: str, what: str, actor: Actor) -> dict[str, Any]:
    """E-mail a new code confirming ``purpose`` (``what`` says it in words); the state to keep.

    Raises CodeResendTooSoon, CodeLimitReached or CodeNotSent.
    """
    user = customer.user
    now = clock.now()
    pause = int(CODE_RESEND_AFTER.total_seconds())
    # The marker holds when the last code went, so a refusal says the seconds really left.
    if not cache.add(f"fresh-code-recent:{user.pk}", now.timestamp(), pause):
        raise CodeResendTooSoon(seconds=_seconds_left(cache.get(f"fresh-code-recent:{user.pk}"), now, pause))
    if count_in_window(f"fresh-code-sent:{user.pk}", seconds=3600) > CODES_PER_HOUR:
        raise CodeLimitReached()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    context = {
        "code": code,
        "what": what,
        "minutes": int(CODE_VALID.total_seconds() // 60),
        "carrier": settings.SELFCARE_CARRIER_NAME,
    }
    try:
        send_mail(
            render_to_string("accounts/email/fresh_code_subject.txt", context).strip(),
            render_to_string("accounts/email/fresh_code.txt", context),
            None,
            [user.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("fresh code e-mail to user %s failed: %s", user.pk, type(exc).__name__)
        raise CodeNotSent() from None
    with transaction.atomic():
        audit_record(actor=actor, action="fresh_code.sent", customer=customer, detail={"for": purpose})
    return {
        "purpose": purpose,
        "hash": _hash(user.pk, purpose, code),
        "sent_at": now.isoformat(),
        "expires_at": (now + CODE_VALID).isoformat(),
        "failures": 0,
        "used": False,
    }


@sensitive_variables("typed")
def fresh_code_check(*, customer: Customer, state: dict[str, Any], purpose: str, typed: str, actor: Actor) -> None:
    """Accept the code once (``state`` is marked used), or raise CodeWrong / CodeNoLongerValid.

    ``state`` is changed in place (failures, used): the caller stores it again.
    """
    now = clock.now()
    if (
        state.get("used")
        or state.get("purpose") != purpose
        or state.get("failures", 0) >= CODE_MAX_FAILURES
        or now > dt.datetime.fromisoformat(state["expires_at"])
    ):
        raise CodeNoLongerValid()
    text = unicodedata.normalize("NFKC", typed or "").strip()
    if not constant_time_compare(_hash(customer.user_id, purpose, text), state["hash"]):
        state["failures"] = state.get("failures", 0) + 1
        with transaction.atomic():
            audit_record(actor=actor, action="fresh_code.failed", customer=customer, detail={"for": purpose})
        if state["failures"] >= CODE_MAX_FAILURES:
            raise CodeNoLongerValid()
        raise CodeWrong(remaining=CODE_MAX_FAILURES - state["failures"])
    state["used"] = True
