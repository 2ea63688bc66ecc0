from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import string
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.debug import sensitive_variables
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts import jobs as account_jobs
from selfcare.accounts.errors import (
    BadLimit,
    EnrolmentCodeExpired,
    EnrolmentCodeReplaced,
    EnrolmentCodeUsed,
    EnrolmentCodeVoided,
    EnrolmentCodeVoidedByReset,
    EnrolmentCodeVoidedNow,
    EnrolmentCodeWrong,
    LimitBelowUsage,
    NoEnrolmentCode,
    PasswordRequestsTooMany,
    PlanNotFound,
    SelfcareIdTaken,
    StaffAlreadyEnrolled,
    StaffUserNotFound,
)
from selfcare.accounts.lock_objects import customer_lock, staff_user_lock, user_lock
from selfcare.accounts.models import Customer, Plan, StaffEnrolmentCode, User, selfcare_id_validator
from selfcare.accounts.requesters import client_network, typed_id_label
from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.core.cache import count_in_window
from selfcare.core.errors import DomainError
from selfcare.jobs import enqueue
from selfcare.letters.credentials import (
    credentials_letter_newest_id,
    credentials_letter_queue,
    credentials_letter_queued_since,
    credentials_letter_waiting,
    credentials_letters_supersede,
)
from selfcare.letters.models import Letter

# Letters and digits without look-alikes, for passwords the carrier hands out on paper.
UNAMBIGUOUS_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0Oo1lI")
MAX_ADDITION_LIMIT = 100_000
logger = logging.getLogger(__name__)


def generate_password(length: int = 16) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class CreatedCustomer:
    customer: Customer
    initial_password: str | None
    """The generated password, for showing once; None when the caller chose one."""


def customer_create(
    *,
    selfcare_id: str,
    email: str,
    contract_name: str,
    plan_code: str,
    actor: Actor,
    addition_limit: int | None = None,
    password: str | None = None,
    postal_code: str = "",
    address: str = "",
) -> CreatedCustomer:
    """Create a customer and its login. Raises ValidationError for a bad ID, e-mail or password."""
    from django.core.validators import validate_email

    selfcare_id_validator(selfcare_id)
    validate_email(email)
    if addition_limit is not None and not 0 <= addition_limit <= MAX_ADDITION_LIMIT:
        raise BadLimit(maximum=MAX_ADDITION_LIMIT)
    generated = None
    if password is None:
        password = generated = generate_password()
    else:
        validate_password(password)
    try:
        plan = Plan.objects.get(code=plan_code)
    except Plan.DoesNotExist:
        raise PlanNotFound(code=plan_code) from None
    try:
        with transaction.atomic(durable=True):
            if User.objects.filter(username__iexact=selfcare_id).exists():
                raise SelfcareIdTaken(selfcare_id=selfcare_id)
            # Generated for the letter or chosen by staff: either way the customer changes it at the first login.
            user = User.objects.create_user(
                username=selfcare_id, email=email, password=password, password_change_required=True
            )
            customer = Customer(
                user=user, contract_name=contract_name, plan=plan, postal_code=postal_code, address=address
            )
            if addition_limit is not None:
                customer.addition_limit = addition_limit
            customer.save()
            if generated is not None:
                credentials_letter_queue(customer=customer, password=generated)
            audit_record(
                actor=actor,
                action="customer.created",
                customer=customer,
                target=selfcare_id,
                detail={"plan": plan.code, "addition_limit": customer.addition_limit},
            )
    except IntegrityError:
        raise SelfcareIdTaken(selfcare_id=selfcare_id) from None
    return CreatedCustomer(customer=customer, initial_password=generated)


def _credentials_letters_supersede(
    *, customer: Customer, actor: Actor, why: str, keep_letter_id: int | None = None
) -> list[int]:
    """The customer's password has just changed: no letter may carry the old one any more.

    A credentials letter not yet posted (printed or not) is withdrawn: it stays in the letter queue,
    marked with when and ``why`` (a ``Letter.Withdrawal``), its password destroyed, and is never
    printed or posted; a printed copy is to be shredded. One already posted keeps its record but loses
    the password, so a reprint says it must be reissued instead of printing one that no longer works.
    Returns the ids of the letters withdrawn. The letters' rows are letters' to write
    (``letters.credentials``); this audits what became of them.
    """
    superseded = credentials_letters_supersede(customer_id=customer.pk, why=why, keep_letter_id=keep_letter_id)
    withdrawn, blanked = superseded.withdrawn, superseded.blanked
    if not (withdrawn or blanked):
        return []
    audit_record(
        actor=actor,
        action="secrets.superseded",
        customer=customer,
        target=customer.selfcare_id,
        detail={"letters_withdrawn": withdrawn, "letters_blanked": blanked, "why": why},
    )
    return withdrawn


def customer_set_limit(*, customer_id: int, limit: int, actor: Actor) -> Customer:
    """Change a customer's cumulative addition limit; never below what they have already added."""
    _limit_check(limit)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        _limit_set(customer=customer, limit=limit, actor=actor)
    return customer


def _limit_check(limit: int) -> None:
    if not 0 <= limit <= MAX_ADDITION_LIMIT:
        raise BadLimit(maximum=MAX_ADDITION_LIMIT)


def _limit_set(*, customer: Customer, limit: int, actor: Actor) -> None:
    if limit < customer.numbers_added:
        raise LimitBelowUsage(numbers_added=customer.numbers_added)
    previous = customer.addition_limit
    customer.addition_limit = limit
    customer.save(update_fields=["addition_limit"])
    audit_record(
        actor=actor,
        action="customer.limit_changed",
        customer=customer,
        target=customer.selfcare_id,
        detail={"from": previous, "to": limit},
    )


def _pending_password_void(user: User) -> bool:
    """A new password is set: a forgotten-password letter's password waiting beside the old one stops too."""
    had = bool(user.pending_password)
    user.pending_password = ""
    return had


def customer_pending_password_use(*, user_id: int, pending_hash: str, actor: Actor) -> bool:
    """The letter's new initial password was typed for the first time: it becomes the password.

    The old password stops now, the new one must be changed right after this login (it was posted),
    credentials letters carrying the old one are withdrawn or blanked (the newest, which carries the new
    one, is kept), audited. The conditional update decides, so of two logins at once one promotes and
    the other finds the password already in place; False when the pending password changed meanwhile.
    """
    with transaction.atomic(durable=True):
        promoted = User.objects.filter(pk=user_id, pending_password=pending_hash).exclude(pending_password="")
        if not promoted.update(password=pending_hash, pending_password="", password_change_required=True):
            return User.objects.filter(pk=user_id, password=pending_hash).exists()
        customer = Customer.objects.get(user_id=user_id)
        newest = credentials_letter_newest_id(customer_id=customer.pk)
        _credentials_letters_supersede(
            customer=customer, actor=actor, why=Letter.Withdrawal.SUPERSEDED, keep_letter_id=newest
        )
        audit_record(
            actor=actor,
            action="customer.password_letter_used",
            customer=customer,
            target=customer.selfcare_id,
            detail={"previous_login": "stopped"},
        )
    return True


def customer_reset_password(*, customer_id: int, actor: Actor) -> str:
    """Give a customer a new generated password, to be changed at the next login; returns it for showing once."""
    password = generate_password()
    with transaction.atomic(durable=True):
        _password_replace(
            customer_id=customer_id,
            password=password,
            change_required=True,
            action="customer.password_reset",
            actor=actor,
        )
    return password


@dataclass(frozen=True)
class PasswordReplaced:
    customer: Customer
    letter_stopped: str
    """What became of a forgotten-password letter waiting with its own password: "" (there was none),
    "withdrawn" (not yet posted: it will not be) or "posted" (on its way or delivered: its password no
    longer works)."""


@sensitive_variables()
def _password_replace(
    *, customer_id: int, password: str, change_required: bool, action: str, actor: Actor
) -> PasswordReplaced:
    """A new password for the customer's login, in the caller's transaction: a forgotten-password letter's
    waiting password is voided, credentials letters with the old one are withdrawn or blanked, audited."""
    customer = customer_lock(customer_id=customer_id)
    pending_voided = _pending_password_void(customer.user)
    customer.user.set_password(password)
    customer.user.password_change_required = change_required
    customer.user.save(update_fields=["password", "password_change_required", "pending_password"])
    why = (
        Letter.Withdrawal.PASSWORD_CHANGED
        if action == "customer.password_changed"
        else Letter.Withdrawal.PASSWORD_RESET
    )
    withdrawn = _credentials_letters_supersede(customer=customer, actor=actor, why=why)
    letter_stopped = ""
    if pending_voided:  # the newest credentials letter carried the waiting password
        newest = credentials_letter_newest_id(customer_id=customer.pk)
        letter_stopped = "withdrawn" if newest in withdrawn else "posted"
    audit_record(
        actor=actor,
        action=action,
        customer=customer,
        target=customer.selfcare_id,
        detail={"pending_letter_voided": True, "pending_letter": letter_stopped} if pending_voided else None,
    )
    return PasswordReplaced(customer=customer, letter_stopped=letter_stopped)


@sensitive_variables()
def customer_password_change(*, customer_id: int, new_password: str, actor: Actor) -> PasswordReplaced:
    """The customer's own new password (checked by the caller: current password, validators).

    One transaction: the new hash and the audit entry; the notice to the registered address goes
    after the commit, and a failing mail server changes nothing. A forgotten-password letter still
    waiting with its own password stops (``letter_stopped`` says how), and the notice says so too.
    """
    with transaction.atomic(durable=True):
        replaced = _password_replace(
            customer_id=customer_id,
            password=new_password,
            change_required=False,
            action="customer.password_changed",
            actor=actor,
        )
        enqueue(
            account_jobs.password_changed_notice_send,
            customer_id=customer_id,
            language=translation.get_language(),
            letter_stopped=replaced.letter_stopped,
        )
    return replaced


# The forgotten password ----------------------------------------------------------------------------

FORGOTTEN_REQUESTS_PER_ADDRESS = 5
FORGOTTEN_WINDOW_SECONDS = 60 * 60
FORGOTTEN_LETTER_INTERVAL = dt.timedelta(days=1)


def _forgotten_request_count(ip: str | None) -> None:
    """Count the request against the client's address first (atomically); refuse past the allowance."""
    key = f"password-forgotten:{client_network(ip)}"
    if count_in_window(key, seconds=FORGOTTEN_WINDOW_SECONDS) > FORGOTTEN_REQUESTS_PER_ADDRESS:
        raise PasswordRequestsTooMany(minutes=FORGOTTEN_WINDOW_SECONDS // 60)


@sensitive_variables()
def customer_password_forgotten(*, selfcare_id: str, email: str, ip: str | None) -> None:
    """A customer who forgot their password asks for a new one with their self-care ID and registered e-mail.

    The caller answers the same whether or not they match, so this returns nothing and does
    comparable work either way (one password hash, one short transaction). When they match an
    active customer with no credentials letter waiting to be posted and none queued (and not withdrawn) within
    FORGOTTEN_LETTER_INTERVAL: a new generated password, to be changed at the first login, goes
    out encrypted on a letter to the contract address, as a new customer's does; the account's
    lock and failure count stay as they are. After commit the registered address is told a
    letter is on its way (never the password); a failing mail server changes nothing. Every
    request is audited, an ID that matches no account only as its keyed digest.
    PasswordRequestsTooMany, before any work, when the client's address has asked too often.
    """
    _forgotten_request_count(ip)
    typed_id = selfcare_id.strip()[:150]
    typed_email = email.strip()
    password = generate_password()
    hashed = make_password(password)  # before knowing whether it is needed: the same work for every answer
    now = clock.now()
    user = User.objects.filter(username=typed_id).select_related("customer").first()
    customer = getattr(user, "customer", None) if user is not None and not user.is_staff else None
    with transaction.atomic(durable=True):
        if customer is None:
            actor = Actor(kind="customer", label=typed_id_label(typed_id), ip_address=ip)
            audit_record(
                actor=actor,
                action="customer.password_forgotten",
                target=typed_id_label(typed_id),
                detail={"outcome": "no_account"},
            )
            return
        customer = customer_lock(customer_id=customer.pk)
        user = customer.user
        actor = Actor(kind="customer", label=user.username, user_id=user.pk, ip_address=ip)
        if not constant_time_compare(typed_email.casefold(), user.email.casefold()):
            outcome = "email_mismatch"
        elif not (customer.is_active and user.is_active):
            outcome = "not_active"
        elif credentials_letter_waiting(customer_id=customer.pk):
            outcome = "letter_waiting"
        elif credentials_letter_queued_since(customer_id=customer.pk, since=now - FORGOTTEN_LETTER_INTERVAL):
            outcome = "letter_recent"
        else:
            outcome = "letter_queued"
        audit_record(
            actor=actor,
            action="customer.password_forgotten",
            customer=customer,
            target=user.username,
            detail={"outcome": outcome},
        )
        if outcome != "letter_queued":
            return
        _password_letter_queue(customer=customer, password=password, hashed=hashed, actor=actor)


@sensitive_variables()
def customer_password_letter_send(*, customer_id: int, actor: Actor) -> bool:
    """Staff, for a customer who phoned about a forgotten password: a new initial password by post.

    The same as a matching forgotten-password request (the letter to the contract address, the new password
    waiting beside the current one, audited, the registered address told), for an active or suspended
    customer alike. False, and nothing done, while a credentials letter is still waiting to be posted.
    """
    password = generate_password()
    hashed = make_password(password)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        if credentials_letter_waiting(customer_id=customer.pk):
            return False
        _password_letter_queue(customer=customer, password=password, hashed=hashed, actor=actor)
    return True


@sensitive_variables()
def _password_letter_queue(*, customer: Customer, password: str, hashed: str, actor: Actor) -> None:
    """In the caller's transaction, the customer locked: ``password`` (``hashed``) waits beside the current one
    and goes out on a credentials letter; audited; the registered address is told after commit."""
    user = customer.user
    # The current password keeps working: whoever knows the ID and e-mail must not lock the customer out
    # until the letter arrives. The new one waits beside it (rules.md, *forgotten password*).
    replaces_pending = bool(user.pending_password)
    user.pending_password = hashed
    user.save(update_fields=["pending_password"])
    if replaces_pending:  # the earlier letter's password no longer works: no letter may carry it
        _credentials_letters_supersede(customer=customer, actor=actor, why=Letter.Withdrawal.SUPERSEDED)
    credentials_letter_queue(customer=customer, password=password)
    audit_record(
        actor=actor,
        action="customer.password_letter_queued",
        customer=customer,
        target=user.username,
        detail={"current_login": "kept", "replaces_pending": replaces_pending},
    )
    enqueue(account_jobs.password_forgotten_notice_send, customer_id=customer.pk, language=translation.get_language())


CUSTOMER_EDITABLE = ("contract_name", "postal_code", "address")


def customer_update(
    *,
    customer_id: int,
    actor: Actor,
    plan_code: str | None = None,
    email: str | None = None,
    contract_name: str | None = None,
    postal_code: str | None = None,
    address: str | None = None,
) -> Customer:
    """Change a customer's plan, registered e-mail or contract details; the audit entry lists what changed."""
    return customer_change(
        customer_id=customer_id,
        actor=actor,
        plan_code=plan_code,
        email=email,
        contract_name=contract_name,
        postal_code=postal_code,
        address=address,
    )


def customer_change(
    *,
    customer_id: int,
    actor: Actor,
    plan_code: str | None = None,
    email: str | None = None,
    contract_name: str | None = None,
    postal_code: str | None = None,
    address: str | None = None,
    addition_limit: int | None = None,
    status: str | None = None,
) -> Customer:
    """Everything the staff's customer page changes, all or nothing, in one transaction.

    Details, plan and e-mail as ``customer_update``, the limit as ``customer_set_limit``, the
    status as ``customer_set_status``, each audited as they are; a refusal of any part (a limit
    below what the customer has added meanwhile) leaves every part unchanged. ``None`` leaves a
    part as it is.
    """
    plan = _details_check(email=email, plan_code=plan_code)
    if addition_limit is not None:
        _limit_check(addition_limit)
    if status is not None and status not in Customer.Status.values:
        raise ValueError(status)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        _details_set(
            customer=customer,
            actor=actor,
            plan=plan,
            email=email,
            contract_name=contract_name,
            postal_code=postal_code,
            address=address,
        )
        if addition_limit is not None and addition_limit != customer.addition_limit:
            _limit_set(customer=customer, limit=addition_limit, actor=actor)
        if status is not None:
            _status_set(customer=customer, status=status, actor=actor)
    return customer


def _details_check(*, email: str | None, plan_code: str | None) -> Plan | None:
    from django.core.validators import validate_email

    if email is not None:
        validate_email(email)
    if plan_code is None:
        return None
    plan = Plan.objects.filter(code=plan_code).first()
    if plan is None:
        raise PlanNotFound(code=plan_code)
    return plan


def _details_set(
    *,
    customer: Customer,
    actor: Actor,
    plan: Plan | None,
    email: str | None,
    contract_name: str | None,
    postal_code: str | None,
    address: str | None,
) -> None:
    changes: dict[str, list[str]] = {}
    for field, value in (("contract_name", contract_name), ("postal_code", postal_code), ("address", address)):
        if value is not None and getattr(customer, field) != value:
            changes[field] = [getattr(customer, field), value]
            setattr(customer, field, value)
    if plan is not None and plan.pk != customer.plan_id:
        changes["plan"] = [customer.plan.code, plan.code]
        customer.plan = plan
    customer.save()
    if email is not None and email != customer.user.email:
        changes["email"] = [customer.user.email, email]
        customer.user.email = email
        customer.user.save(update_fields=["email"])
    if changes:
        audit_record(
            actor=actor, action="customer.changed", customer=customer, target=customer.selfcare_id, detail=changes
        )


def customer_set_status(*, customer_id: int, status: str, actor: Actor) -> Customer:
    """Suspend a contract (no more additions) or make it active again."""
    if status not in Customer.Status.values:
        raise ValueError(status)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        _status_set(customer=customer, status=status, actor=actor)
    return customer


def _status_set(*, customer: Customer, status: str, actor: Actor) -> None:
    if customer.status != status:
        previous, customer.status = customer.status, status
        customer.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="customer.status_changed",
            customer=customer,
            target=customer.selfcare_id,
            detail={"from": previous, "to": status},
        )


def customer_unlock(*, customer_id: int, actor: Actor) -> Customer:
    """Lift a login lock after repeated failures."""
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        user = customer.user
        detail = {"consecutive_failures": user.consecutive_failures}
        User.objects.filter(pk=user.pk).update(consecutive_failures=0, locked_until=None)
        audit_record(
            actor=actor, action="customer.unlocked", customer=customer, target=customer.selfcare_id, detail=detail
        )
    return customer


# Staff authenticator enrolment codes --------------------------------------------------------------
#
# A staff password alone must not be enough to enrol the first authenticator app (whoever enrols
# first owns the second factor). An administrator issues an enrolment code and hands it over out of
# band; the staff site asks for it before it shows the QR code.

ENROLMENT_CODE_VALID = dt.timedelta(hours=24)
ENROLMENT_CODE_MAX_FAILURES = 5
ENROLMENT_CODE_GROUPS = 4
ENROLMENT_CODE_GROUP_LENGTH = 4
# Capital letters and digits without look-alikes (no 0, O, 1, I): 32 symbols, 5 bits each, 80 bits in all.
ENROLMENT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_ENROLMENT_CODE_RE = re.compile(f"[{ENROLMENT_CODE_ALPHABET}]{{{ENROLMENT_CODE_GROUPS * ENROLMENT_CODE_GROUP_LENGTH}}}")
_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―ー－−_]+")


def _enrolment_code_new() -> str:
    groups = (
        "".join(secrets.choice(ENROLMENT_CODE_ALPHABET) for _ in range(ENROLMENT_CODE_GROUP_LENGTH))
        for _ in range(ENROLMENT_CODE_GROUPS)
    )
    return "-".join(groups)


def enrolment_code_normalise(typed: str) -> str:
    """The code as stored in the hash: capitals, without the spaces and hyphens people type (full-width too)."""
    return _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", typed or "")).upper()


def _enrolment_code_hash(user_id: int, code: str) -> str:
    return salted_hmac("selfcare.staff-enrolment-code", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def _enrolment_codes_void(*, user_id: int, now: dt.datetime, reason: str) -> int:
    """Void the user's codes not yet used, voided or expired; returns how many."""
    return StaffEnrolmentCode.objects.filter(
        user_id=user_id, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now
    ).update(voided_at=now, void_reason=reason)


@dataclass(frozen=True)
class IssuedEnrolmentCode:
    username: str
    code: str
    """The code in clear, for showing once; only its keyed hash is stored."""
    expires_at: dt.datetime
    authenticators_removed: int


@sensitive_variables("code")
def staff_enrolment_code_issue(
    *, username: str, actor: Actor, reset_authenticator: bool = False
) -> IssuedEnrolmentCode:
    """Issue a staff member's enrolment code: single use, valid for ENROLMENT_CODE_VALID; earlier ones become void.

    A staff member who already has an authenticator gets a code only with ``reset_authenticator``, which
    removes it (and so ends the second factor of their sessions): they must enrol again, with this code.
    """
    now = clock.now()
    with transaction.atomic(durable=True):
        user = staff_user_lock(username=username)
        if user is None:
            raise StaffUserNotFound(username=username)
        devices = TOTPDevice.objects.filter(user=user)
        if not reset_authenticator and devices.filter(confirmed=True).exists():
            raise StaffAlreadyEnrolled(username=username)
        replaced = _enrolment_codes_void(user_id=user.pk, now=now, reason=StaffEnrolmentCode.VoidReason.REPLACED)
        # An enrolment begun with an earlier code, its QR code shown but not yet confirmed, ends too.
        devices.filter(confirmed=False).delete()
        removed = 0
        if reset_authenticator:
            removed = devices.count()
            devices.delete()
            audit_record(
                actor=actor, action="staff.authenticator_reset", target=user.username, detail={"devices": removed}
            )
        code = _enrolment_code_new()
        issued = StaffEnrolmentCode.objects.create(
            user=user,
            code_hash=_enrolment_code_hash(user.pk, enrolment_code_normalise(code)),
            created_at=now,
            expires_at=now + ENROLMENT_CODE_VALID,
        )
        audit_record(
            actor=actor,
            action="staff.enrolment_code_issued",
            target=user.username,
            detail={"code_id": issued.pk, "expires_at": issued.expires_at.isoformat(), "replaced": replaced},
        )
    return IssuedEnrolmentCode(
        username=user.username, code=code, expires_at=issued.expires_at, authenticators_removed=removed
    )


@dataclass(frozen=True)
class _EnrolmentOutcome:
    device: TOTPDevice | None
    error: DomainError | None


@sensitive_variables("code", "typed")
def staff_enrolment_start(*, user_id: int, code: str, ip: str | None) -> TOTPDevice:
    """Check a staff member's enrolment code; when right, use it up and return a new, unconfirmed authenticator.

    The code is single use; five wrong entries void it. Refusals are audited and committed before
    they are raised, so the count of wrong entries is never rolled back with them.
    """
    typed = enrolment_code_normalise(code)[:64]
    now = clock.now()
    with transaction.atomic(durable=True):
        user = user_lock(user_id=user_id)
        if not (user.is_staff and user.is_active):
            raise StaffUserNotFound(username=user.username)
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise StaffAlreadyEnrolled(username=user.username)
        outcome = _enrolment_start_locked(user=user, typed=typed, now=now, ip=ip)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.device is not None
    return outcome.device


@sensitive_variables("typed")
def _enrolment_start_locked(*, user: User, typed: str, now: dt.datetime, ip: str | None) -> _EnrolmentOutcome:
    actor = Actor.staff(user, ip)
    typed_hash = _enrolment_code_hash(user.pk, typed)
    current = (
        StaffEnrolmentCode.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    well_formed = _ENROLMENT_CODE_RE.fullmatch(typed) is not None
    if current is not None and well_formed and constant_time_compare(typed_hash, current.code_hash):
        current.used_at = now
        current.save(update_fields=["used_at"])
        # A fresh key: nobody saw it before the right code was entered.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        audit_record(
            actor=actor, action="staff.enrolment_code_used", target=user.username, detail={"code_id": current.pk}
        )
        return _EnrolmentOutcome(device, None)

    def refused(reason: str, error: DomainError, **detail: Any) -> _EnrolmentOutcome:
        audit_record(
            actor=actor,
            action="staff.login_failed",
            target=user.username,
            detail={"step": "enrolment_code", "reason": reason, **detail},
        )
        return _EnrolmentOutcome(None, error)

    # An earlier code of this account, typed right: say truly why it no longer works (not a guess, not counted).
    earlier = StaffEnrolmentCode.objects.filter(user=user, code_hash=typed_hash).order_by("-created_at").first()
    if earlier is not None and well_formed:
        if earlier.used_at is not None:
            return refused("used", EnrolmentCodeUsed(), code_id=earlier.pk)
        if earlier.void_reason == StaffEnrolmentCode.VoidReason.REPLACED:
            return refused("replaced", EnrolmentCodeReplaced(), code_id=earlier.pk)
        if earlier.void_reason == StaffEnrolmentCode.VoidReason.AUTHENTICATOR_REMOVED:
            return refused("voided_by_reset", EnrolmentCodeVoidedByReset(), code_id=earlier.pk)
        if earlier.voided_at is not None:
            return refused("voided", EnrolmentCodeVoided(), code_id=earlier.pk)
        return refused("expired", EnrolmentCodeExpired(), code_id=earlier.pk)
    if current is None:
        return refused("no_valid_code", NoEnrolmentCode())
    current.failed_attempts += 1
    if current.failed_attempts >= ENROLMENT_CODE_MAX_FAILURES:
        current.voided_at = now
        current.void_reason = StaffEnrolmentCode.VoidReason.TOO_MANY_FAILURES
    current.save(update_fields=["failed_attempts", "voided_at", "void_reason"])
    if current.voided_at is not None:
        return refused(
            "wrong_code",
            EnrolmentCodeVoidedNow(attempts=ENROLMENT_CODE_MAX_FAILURES),
            code_id=current.pk,
            voided=True,
        )
    remaining = ENROLMENT_CODE_MAX_FAILURES - current.failed_attempts
    return refused("wrong_code", EnrolmentCodeWrong(remaining=remaining), code_id=current.pk, remaining=remaining)


def enrolment_codes_void_on_authenticator_removal(sender: Any, instance: TOTPDevice, **kwargs: Any) -> None:
    """post_delete of a confirmed authenticator, however removed: codes issued before it no longer enrol a new one.

    So a reset always needs a code issued after it (staff_enrolment_code_issue with reset_authenticator
    issues that code in the same transaction).
    """
    if not instance.confirmed:
        return
    voided = _enrolment_codes_void(
        user_id=instance.user_id, now=clock.now(), reason=StaffEnrolmentCode.VoidReason.AUTHENTICATOR_REMOVED
    )
    if voided:
        audit_record(
            actor=Actor.system("authenticator removed"),
            action="staff.enrolment_code_voided",
            target=User.objects.filter(pk=instance.user_id).values_list("username", flat=True).first() or "",
            detail={"reason": StaffEnrolmentCode.VoidReason.AUTHENTICATOR_REMOVED, "codes": voided},
        )
