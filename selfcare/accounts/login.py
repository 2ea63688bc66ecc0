"""The two login steps: self-care ID and password, then a code e-mailed to the registered address.

Failures are counted where every app server sees them: per account in the
database (a lock that grows after 10 consecutive failures), per IP address in
the shared cache. Refusals are decided inside a transaction, and raised after
it has committed, so the failure counters are never rolled back with them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import smtplib
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare, salted_hmac

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
from selfcare.core import clock
from selfcare.core.audit import Actor, audit_record
from selfcare.core.errors import DomainError

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


def _actor(user: User | None, label: str, ip: str | None) -> Actor:
    if user is None:
        return Actor(kind="customer", label=label[:150], ip_address=ip)
    return Actor(kind="staff" if user.is_staff else "customer", label=user.username, user_id=user.pk, ip_address=ip)


def _customer_id(user: User | None) -> int | None:
    customer = getattr(user, "customer", None) if user is not None else None
    return customer.pk if customer is not None else None


# Per-IP throttling -----------------------------------------------------------------------------


def _ip_key(ip: str | None) -> str:
    return f"login-failures:{ip or 'unknown'}"


def ip_check(ip: str | None) -> None:
    if (cache.get(_ip_key(ip)) or 0) >= IP_FAILURES_ALLOWED:
        raise TooManyAttempts(minutes=IP_WINDOW_SECONDS // 60)


def _ip_failure(ip: str | None) -> None:
    key = _ip_key(ip)
    if not cache.add(key, 1, IP_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, IP_WINDOW_SECONDS)


# Account lock ---------------------------------------------------------------------------------


def lock_duration(failures: int) -> dt.timedelta:
    """1 minute at the 10th consecutive failure, doubling with each further one, at most a day."""
    if failures < LOCK_AFTER_FAILURES:
        return dt.timedelta(0)
    return min(dt.timedelta(minutes=2 ** (failures - LOCK_AFTER_FAILURES)), LOCK_MAX)


def _account_failure(user_id: int) -> None:
    User.objects.filter(pk=user_id).update(consecutive_failures=F("consecutive_failures") + 1)
    failures = User.objects.values_list("consecutive_failures", flat=True).get(pk=user_id)
    if failures >= LOCK_AFTER_FAILURES:
        User.objects.filter(pk=user_id).update(locked_until=clock.now() + lock_duration(failures))


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


# Step 1: self-care ID and password ------------------------------------------------------------


def login_check_password(*, selfcare_id: str, password: str, ip: str | None) -> User:
    """Return the customer's user when ID and password are right; else LoginRefused, the same for every cause."""
    ip_check(ip)
    user = User.objects.select_related("customer").filter(username=selfcare_id[:150]).first()
    if user is None:
        make_password(password)  # the same work as for a known ID, so the answer takes as long
        reason = "unknown_id"
    elif not check_password(password, user.password):
        reason = "wrong_password"
    elif _is_locked(user):
        reason = "locked"
    elif user.is_staff or not user.is_active or _customer_id(user) is None:
        reason = "not_a_customer"
    else:
        reason = ""
    if reason:
        with transaction.atomic():
            if user is not None and reason in {"wrong_password"} and _customer_id(user) and not user.is_staff:
                _account_failure(user.pk)
            audit_record(
                actor=_actor(user, selfcare_id, ip),
                action="login.failed",
                customer_id=_customer_id(user),
                target=selfcare_id[:128],
                detail={"step": "password", "reason": reason},
            )
        _ip_failure(ip)
        raise LoginRefused()
    assert user is not None
    with transaction.atomic():
        audit_record(
            actor=_actor(user, selfcare_id, ip),
            action="login.password_ok",
            customer_id=_customer_id(user),
            target=user.username,
        )
    return user


# Step 2: the e-mailed code --------------------------------------------------------------------


def _code_hash(user_id: int, code: str) -> str:
    return salted_hmac("selfcare.login-code", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def login_code_send(*, user_id: int, ip: str | None) -> None:
    """E-mail a fresh code (earlier ones become void). At most one a minute and five an hour."""
    now = clock.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
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


def login_code_verify(*, user_id: int, code: str, ip: str | None) -> User:
    """Check the code against the user's latest one. Single use; void after five wrong entries or ten minutes."""
    ip_check(ip)
    typed = unicodedata.normalize("NFKC", code or "").strip()
    now = clock.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        outcome = _verify_locked(user=user, typed=typed, now=now, ip=ip)
    if outcome.error is not None:
        _ip_failure(ip)
        raise outcome.error
    assert outcome.user is not None
    return outcome.user


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
    """Record a failed staff password: audit entry, the account's consecutive failures, the IP's counter."""
    user = User.objects.filter(username=username[:150]).first()
    with transaction.atomic():
        if user is not None and user.is_staff:
            _account_failure(user.pk)
        audit_record(
            actor=_actor(user, username, ip),
            action="staff.login_failed",
            target=username[:128],
            detail={"step": "password", "reason": "unknown_id" if user is None else "wrong_password"},
        )
    _ip_failure(ip)


def staff_login_blocked(*, username: str, ip: str | None) -> bool:
    """True while the IP is throttled or the staff account is locked after repeated failures."""
    try:
        ip_check(ip)
    except TooManyAttempts:
        return True
    user = User.objects.filter(username=username[:150]).first()
    return user is not None and _is_locked(user)
