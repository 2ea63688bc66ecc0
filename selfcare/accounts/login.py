"""The two login steps: self-care ID and password, then a code e-mailed to the registered address.

Failures are counted where every app server sees them: per account in the
database (a lock that grows after 10 consecutive failures), per IP address in
the shared cache. Refusals are decided inside a transaction, and raised after
it has committed, so the failure counters are never rolled back with them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import secrets
import smtplib
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Least
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.debug import sensitive_variables

from selfcare.accounts import jobs as account_jobs
from selfcare.accounts.lock_objects import user_lock
from selfcare.accounts.login_errors import (
    CodeLimitReached,
    CodeNoLongerValid,
    CodeNotSent,
    CodeResendTooSoon,
    CodeWrong,
    LoginRefused,
    TooManyAttempts,
)
from selfcare.accounts.models import LoginCode, User
from selfcare.accounts.requesters import client_network, typed_id_label
from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.core.cache import count_in_window
from selfcare.core.errors import DomainError
from selfcare.jobs import enqueue
from selfcare.ops import metrics

CODE_DIGITS = 6
CODE_VALID = dt.timedelta(minutes=10)
CODE_MAX_FAILURES = 5
CODE_RESEND_AFTER = dt.timedelta(seconds=60)
CODES_PER_HOUR = 5
PASSWORD_STEP_VALID = dt.timedelta(minutes=10)
LOCK_AFTER_FAILURES = 10
LOCK_MAX = dt.timedelta(hours=24)
IP_FAILURES_ALLOWED = 30
IP_WINDOW_SECONDS = 15 * 60

_CODE_RE = re.compile(r"[0-9]{6}")
logger = logging.getLogger(__name__)


def _actor(user: User | None, typed_id: str, ip: str | None) -> Actor:
    if user is None:
        return Actor(kind="customer", label=typed_id_label(typed_id), ip_address=ip)
    return Actor(kind="staff" if user.is_staff else "customer", label=user.username, user_id=user.pk, ip_address=ip)


def _customer_id(user: User | None) -> int | None:
    customer = getattr(user, "customer", None) if user is not None else None
    return customer.pk if customer is not None else None


# Per-IP throttling -----------------------------------------------------------------------------


def _ip_key(ip: str | None) -> str:
    return f"login-failures:{client_network(ip)}"


def ip_attempt(ip: str | None) -> None:
    """Count one attempt against the address before any work is done; TooManyAttempts past the allowance.

    The count is taken first and atomically (``count_in_window``), so a burst of parallel attempts
    cannot all pass a check before any of them is counted. A step that succeeds gives its attempt
    back (``ip_attempt_succeeded``): what is left counted are the failures of the window.
    """
    if count_in_window(_ip_key(ip), seconds=IP_WINDOW_SECONDS) > IP_FAILURES_ALLOWED:
        metrics.login_failed(step="throttle", reason="too_many_attempts")
        raise TooManyAttempts(minutes=IP_WINDOW_SECONDS // 60)


def ip_attempt_succeeded(ip: str | None) -> None:
    with contextlib.suppress(ValueError):  # the window has expired meanwhile
        cache.decr(_ip_key(ip))


def ip_throttled(ip: str | None) -> bool:
    """True while the address has used up its failures (a read: counts nothing)."""
    return (cache.get(_ip_key(ip)) or 0) >= IP_FAILURES_ALLOWED


# Account lock ---------------------------------------------------------------------------------


# Enough doublings of a minute to pass LOCK_MAX; more would only make a larger number to throw away.
_LOCK_DOUBLINGS_MAX = (int(LOCK_MAX / dt.timedelta(minutes=1)) - 1).bit_length()
# The counter stops here: far past every lock step, far below the column's range.
_FAILURES_MAX = 1_000_000


def lock_duration(failures: int) -> dt.timedelta:
    """1 minute at the 10th consecutive failure, doubling with each further one, at most a day.

    Defined for every count: the exponent is bounded before the power is taken.
    """
    if failures < LOCK_AFTER_FAILURES:
        return dt.timedelta(0)
    doublings = min(failures - LOCK_AFTER_FAILURES, _LOCK_DOUBLINGS_MAX)
    return min(dt.timedelta(minutes=2**doublings), LOCK_MAX)


def _account_failure(user_id: int) -> None:
    """Count one more consecutive failure and lock the account from the 10th on. Nothing here can overflow.

    When the account goes from unlocked to locked, its owner is e-mailed once (a job in this
    transaction); a failure while it is locked only makes the lock longer.
    """
    User.objects.filter(pk=user_id).update(
        consecutive_failures=Least(F("consecutive_failures") + 1, Value(_FAILURES_MAX))
    )
    failures = User.objects.values_list("consecutive_failures", flat=True).get(pk=user_id)
    if failures >= LOCK_AFTER_FAILURES:
        now = clock.now()
        until = now + lock_duration(failures)
        # The conditional update decides which failure started this lock, even under parallel requests.
        newly_locked = (
            User.objects.filter(pk=user_id)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .update(locked_until=until)
        )
        if newly_locked:
            enqueue(
                account_jobs.account_locked_notice_send,
                user_id=user_id,
                until=until.isoformat(),
                language=translation.get_language(),
            )
        else:
            User.objects.filter(pk=user_id).update(locked_until=until)


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


# Step 1: self-care ID and password ------------------------------------------------------------


@sensitive_variables()
def login_check_password(*, selfcare_id: str, password: str, ip: str | None) -> User:
    """Return the customer's user when ID and password are right; else LoginRefused, the same for every cause.

    A hash made with older parameters is replaced at the first right password (``User.check_password``).
    """
    ip_attempt(ip)
    user = User.objects.select_related("customer").filter(username=selfcare_id[:150]).first()
    right = user is not None and user.check_password(password)
    pending = ""  # the hash of a forgotten-password letter's password, when that is what was typed
    if user is not None and not right and user.pending_password and check_password(password, user.pending_password):
        pending = user.pending_password
    if user is None:
        make_password(password)  # the same work as for a known ID, so the answer takes as long
        reason = "unknown_id"
    elif not (right or pending):
        reason = "wrong_password"  # counted even while locked: the lock grows with every guess
    elif _is_locked(user):
        reason = "locked"
    elif user.is_staff or not user.is_active or _customer_id(user) is None:
        reason = "not_a_customer"
    else:
        reason = ""
    if reason:
        _record_failure(
            user=user
            if user is not None and reason == "wrong_password" and _customer_id(user) and not user.is_staff
            else None,
            actor=_actor(user, selfcare_id, ip),
            action="login.failed",
            customer_id=_customer_id(user),
            target=user.username if user is not None else typed_id_label(selfcare_id),
            detail={"step": "password", "reason": reason},
        )
        raise LoginRefused()
    assert user is not None
    if pending:
        from selfcare.accounts.services import customer_pending_password_use

        if not customer_pending_password_use(
            user_id=user.pk, pending_hash=pending, actor=_actor(user, selfcare_id, ip)
        ):
            raise LoginRefused()  # replaced by a newer request meanwhile: that letter's password is the one
        user = User.objects.select_related("customer").get(pk=user.pk)
    with transaction.atomic():
        audit_record(
            actor=_actor(user, selfcare_id, ip),
            action="login.password_ok",
            customer_id=_customer_id(user),
            target=user.username,
        )
    ip_attempt_succeeded(ip)
    return user


def _record_failure(*, user: User | None, **audit: Any) -> None:
    """Count a failed password against the account (``user``, if any) and audit it, in one transaction.

    Whatever goes wrong while recording, the caller still gives its usual refusal: an error here
    must never answer a wrong password differently from a right one on a locked account.
    """
    metrics.login_refused(action=audit["action"], detail=audit["detail"])
    try:
        with transaction.atomic():
            if user is not None:
                _account_failure(user.pk)
            audit_record(**audit)
    except Exception:
        logger.exception("a refused login could not be recorded")


# The current password asked again behind the login (the password change) -----------------------


@sensitive_variables()
def current_password_check(*, user_id: int, password: str, ip: str | None) -> bool:
    """True when ``password`` is the user's current one and the account is not locked.

    Asked on a page behind the login, the current password is still a password to guess (from a
    session left open or stolen), so it is a login step like the first: the attempt is counted
    against the address first (TooManyAttempts while throttled), a wrong one against the account
    (the same lock) and audited, a right one gives the address its attempt back.
    """
    ip_attempt(ip)
    user = User.objects.select_related("customer").get(pk=user_id)
    if user.check_password(password) and not _is_locked(user):
        ip_attempt_succeeded(ip)
        return True
    _record_failure(
        user=user,
        actor=_actor(user, user.username, ip),
        action="login.failed",
        customer_id=_customer_id(user),
        target=user.username,
        detail={"step": "current_password", "reason": "locked" if _is_locked(user) else "wrong_password"},
    )
    return False


def is_locked(*, user_id: int) -> bool:
    return _is_locked(User.objects.get(pk=user_id))


# Step 2: the e-mailed code --------------------------------------------------------------------


def _code_hash(user_id: int, code: str) -> str:
    return salted_hmac("selfcare.login-code", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def login_code_send(*, user_id: int, ip: str | None) -> None:
    """E-mail a fresh code (earlier ones become void). At most one a minute and five an hour."""
    now = clock.now()
    with transaction.atomic():
        user = user_lock(user_id=user_id)
        recent = list(
            LoginCode.objects.filter(user=user, created_at__gte=now - dt.timedelta(hours=1)).order_by("-created_at")
        )
        if len(recent) >= CODES_PER_HOUR:
            raise CodeLimitReached()
        if recent and now - recent[0].created_at < CODE_RESEND_AFTER:
            wait = CODE_RESEND_AFTER - (now - recent[0].created_at)
            raise CodeResendTooSoon(seconds=max(int(wait.total_seconds()) + 1, 1))
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        LoginCode.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
        LoginCode.objects.create(
            user=user, code_hash=_code_hash(user.pk, code), created_at=now, expires_at=now + CODE_VALID
        )
        audit_record(
            actor=_actor(user, user.username, ip),
            action="login.code_sent",
            customer_id=_customer_id(user),
            target=user.username,
        )
        body = render_to_string(
            "accounts/email/login_code.txt",
            {"code": code, "minutes": int(CODE_VALID.total_seconds() // 60), "carrier": settings.SELFCARE_CARRIER_NAME},
        )
        subject = render_to_string("accounts/email/login_code_subject.txt").strip()
    # After commit: the code is on record even when the mail server fails, and it is never logged.
    try:
        send_mail(subject, body, None, [user.email])
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("login code e-mail to user %s failed: %s", user.pk, type(exc).__name__)
        raise CodeNotSent() from None


@dataclass(frozen=True)
class _Outcome:
    user: User | None
    error: DomainError | None


@sensitive_variables()
def login_code_verify(*, user_id: int, code: str, ip: str | None) -> User:
    """Check the code against the user's latest one. Single use; void after five wrong entries or ten minutes."""
    ip_attempt(ip)
    typed = unicodedata.normalize("NFKC", code or "").strip()
    now = clock.now()
    with transaction.atomic():
        user = user_lock(user_id=user_id)
        outcome = _verify_locked(user=user, typed=typed, now=now, ip=ip)
    if outcome.error is not None:
        metrics.login_failed(step="code", reason=outcome.error.code)
        raise outcome.error
    ip_attempt_succeeded(ip)
    assert outcome.user is not None
    return outcome.user


@sensitive_variables()
def _verify_locked(*, user: User, typed: str, now: dt.datetime, ip: str | None) -> _Outcome:
    actor = _actor(user, user.username, ip)
    current = (
        LoginCode.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if current is None or _is_locked(user):
        audit_record(
            actor=actor,
            action="login.failed",
            customer_id=_customer_id(user),
            detail={"step": "code", "reason": "no_valid_code"},
        )
        return _Outcome(None, CodeNoLongerValid())
    if not (_CODE_RE.fullmatch(typed) and constant_time_compare(_code_hash(user.pk, typed), current.code_hash)):
        current.failed_attempts += 1
        if current.failed_attempts >= CODE_MAX_FAILURES:
            current.voided_at = now
        current.save(update_fields=["failed_attempts", "voided_at"])
        _account_failure(user.pk)
        audit_record(
            actor=actor,
            action="login.failed",
            customer_id=_customer_id(user),
            detail={"step": "code", "reason": "wrong_code"},
        )
        if current.voided_at is not None:
            return _Outcome(None, CodeNoLongerValid())
        return _Outcome(None, CodeWrong(remaining=CODE_MAX_FAILURES - current.failed_attempts))
    current.used_at = now
    current.save(update_fields=["used_at"])
    User.objects.filter(pk=user.pk).update(consecutive_failures=0, locked_until=None, last_login=now)
    audit_record(actor=actor, action="login.succeeded", customer_id=_customer_id(user), target=user.username)
    return _Outcome(user, None)


# Staff password step (the staff site's own form calls these) -----------------------------------


def staff_password_refused(*, username: str, ip: str | None) -> None:
    """Record a failed staff password: audit entry and the account's consecutive failures.

    The address's attempt was counted by ``staff_login_blocked``, before the password was checked.
    """
    user = User.objects.filter(username=username[:150]).first()
    _record_failure(
        user=user if user is not None and user.is_staff else None,
        actor=_actor(user, username, ip),
        action="staff.login_failed",
        target=user.username if user is not None else typed_id_label(username),
        detail={"step": "password", "reason": "unknown_id" if user is None else "wrong_password"},
    )


def staff_login_blocked(*, username: str, ip: str | None) -> bool:
    """Count this attempt against the address; True while it is throttled or the account is locked."""
    try:
        ip_attempt(ip)
    except TooManyAttempts:
        return True
    user = User.objects.filter(username=username[:150]).first()
    return user is not None and _is_locked(user)


def staff_password_accepted(*, ip: str | None) -> None:
    """A right staff password gives its attempt back: only failures count against the address."""
    ip_attempt_succeeded(ip)
