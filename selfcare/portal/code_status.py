"""What the code page can truthfully say: which code works, why none does, and when a new one can be sent.

Read from the login codes themselves (the same rules ``login_code_send`` and ``login_code_verify``
apply), never from what the previous request believed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from selfcare.accounts import login as login_steps
from selfcare.accounts.models import LoginCode, User
from selfcare.core import clock

# Why no code works (VOID_*), for the page's wording.
VOID_NONE = ""
VOID_WRONG = "wrong"
VOID_USED = "used"
VOID_EXPIRED = "expired"
VOID_UNSENT = "unsent"
VOID_NEVER = "never"

SEND_NOW = "now"
SEND_AFTER_MINUTE = "minute"
SEND_AFTER_HOUR = "hour"


@dataclass(frozen=True)
class CodeStatus:
    current: LoginCode | None  # the code that works now, if any
    sent_this_login: bool  # ``current`` was sent after this password step
    void_reason: str  # why no code works (when ``current`` is None)
    last_at: dt.datetime | None  # when the last code was made
    expired_at: dt.datetime | None
    send_rule: str  # SEND_NOW, or the rule that holds a new code back
    send_at: dt.datetime  # when a new code can be sent
    locked_until: dt.datetime | None  # the account's login pause, while it lasts

    @property
    def wait_seconds(self) -> int:
        return max(int((self.send_at - clock.now()).total_seconds()) + 1, 0) if self.send_rule != SEND_NOW else 0


def code_status(*, user: User, password_step_at: dt.datetime, unsent_code_id: int | None) -> CodeStatus:
    now = clock.now()
    recent = list(
        LoginCode.objects.filter(user=user, created_at__gte=now - dt.timedelta(hours=1)).order_by("-created_at")
    )
    last = recent[0] if recent else LoginCode.objects.filter(user=user).order_by("-created_at").first()
    works = (
        last is not None
        and last.used_at is None
        and last.voided_at is None
        and last.expires_at > now
        and last.pk != unsent_code_id
    )
    current = last if works else None
    if current is not None or last is None:
        reason = VOID_NONE if current is not None else VOID_NEVER
    elif last.pk == unsent_code_id:
        reason = VOID_UNSENT
    elif last.used_at is not None:
        reason = VOID_USED
    elif last.voided_at is not None and last.failed_attempts >= login_steps.CODE_MAX_FAILURES:
        reason = VOID_WRONG
    else:
        reason = VOID_EXPIRED

    send_rule, send_at = SEND_NOW, now
    if len(recent) >= login_steps.CODES_PER_HOUR:
        # login_code_send counts codes made at or after now - 1 hour: the oldest of the five must be older.
        hour_at = recent[login_steps.CODES_PER_HOUR - 1].created_at + dt.timedelta(hours=1, seconds=1)
        if hour_at > send_at:
            send_rule, send_at = SEND_AFTER_HOUR, hour_at
    if last is not None:
        minute_at = last.created_at + login_steps.CODE_RESEND_AFTER
        if minute_at > send_at:
            send_rule, send_at = SEND_AFTER_MINUTE, minute_at
    locked = user.locked_until if user.locked_until is not None and user.locked_until > now else None
    return CodeStatus(
        current=current,
        sent_this_login=current is not None and current.created_at >= password_step_at,
        void_reason=reason,
        last_at=last.created_at if last is not None else None,
        expired_at=last.expires_at if last is not None else None,
        send_rule=send_rule,
        send_at=send_at,
        locked_until=locked,
    )
