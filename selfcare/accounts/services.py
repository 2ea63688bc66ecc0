from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from selfcare.accounts.errors import BadLimit, LimitBelowUsage, PlanNotFound, SelfcareIdTaken
from selfcare.accounts.lock_objects import customer_lock
from selfcare.accounts.models import Customer, Plan, User, selfcare_id_validator
from selfcare.core import clock, crypto
from selfcare.core.audit import Actor, audit_record

# Letters and digits without look-alikes, for passwords the carrier hands out on paper.
UNAMBIGUOUS_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0Oo1lI")
MAX_ADDITION_LIMIT = 100_000


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
            user = User.objects.create_user(username=selfcare_id, email=email, password=password)
            customer = Customer(
                user=user, contract_name=contract_name, plan=plan, postal_code=postal_code, address=address
            )
            if addition_limit is not None:
                customer.addition_limit = addition_limit
            customer.save()
            if generated is not None:
                _credentials_letter_queue(customer=customer, password=generated)
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


def _credentials_letter_queue(*, customer: Customer, password: str) -> None:
    """The self-care ID and its generated password go by post too; the password only encrypted."""
    from selfcare.letters.models import Letter

    Letter.to_contract_address(
        customer,
        kind=Letter.Kind.SELFCARE_CREDENTIALS,
        secret_encrypted=crypto.encrypt(password),
        queued_at=clock.now(),
    ).save()


def customer_set_limit(*, customer_id: int, limit: int, actor: Actor) -> Customer:
    """Change a customer's cumulative addition limit; never below what they have already added."""
    if not 0 <= limit <= MAX_ADDITION_LIMIT:
        raise BadLimit(maximum=MAX_ADDITION_LIMIT)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
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
    return customer


def customer_reset_password(*, customer_id: int, actor: Actor) -> str:
    """Give a customer a new generated password; returns it for showing once."""
    password = generate_password()
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        customer.user.set_password(password)
        customer.user.save(update_fields=["password"])
        audit_record(actor=actor, action="customer.password_reset", customer=customer, target=customer.selfcare_id)
    return password


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
    from django.core.validators import validate_email

    if email is not None:
        validate_email(email)
    plan = None
    if plan_code is not None:
        plan = Plan.objects.filter(code=plan_code).first()
        if plan is None:
            raise PlanNotFound(code=plan_code)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
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
    return customer


def customer_set_status(*, customer_id: int, status: str, actor: Actor) -> Customer:
    """Suspend a contract (no more additions) or make it active again."""
    if status not in Customer.Status.values:
        raise ValueError(status)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
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
    return customer


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
