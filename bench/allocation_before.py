"""The placement path as it was before the lean path (commit 6568e0e, with the day tally of the pool), kept
so that bench/allocation.py measures it beside the current one in the same run (``--before``).

Only what the lean path changed is copied: the numbers locked by one statement and claimed by a second, the
application inserted inside a savepoint, the lines built as model instances and bulk-inserted, the
idempotency look-up and the customer's counter through the ORM. Everything else (the customer's lock, the
pool tally, the letter, the notice job, the audit entry, the webhook event) is the current code, so the two
differ by exactly that change. A benchmark's copy: never imported by the project.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation

from selfcare.accounts.lock_objects import customer_lock
from selfcare.accounts.models import Customer
from selfcare.audit.services import Actor, audit_record, audit_refusal
from selfcare.core import clock, crypto
from selfcare.core.errors import DomainError
from selfcare.core.locking import bounded_lock_wait
from selfcare.inventory.models import PhoneNumber
from selfcare.inventory.tally import numbers_issued
from selfcare.jobs import enqueue
from selfcare.letters.models import Letter
from selfcare.ops import metrics
from selfcare.orders import credentials, webhook_events
from selfcare.orders import jobs as order_jobs
from selfcare.orders.credentials import sip_digests
from selfcare.orders.errors import PoolShort
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.parsing import parse_count
from selfcare.orders.services import (
    MAX_IDEMPOTENCY_KEY,
    Placement,
    _requested,
    _safe_params,
    new_application_number,
)


def numbers_add(*, customer_id: int, count: int | str, idempotency_key: str, actor: Actor) -> Placement:
    if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ValueError("idempotency_key must be 1 to 64 characters")
    try:
        count = parse_count(count)
        with transaction.atomic(durable=True):
            customer = customer_lock(customer_id=customer_id)
            earlier = Application.objects.filter(customer=customer, idempotency_key=idempotency_key).first()
            if earlier is not None:
                return Placement(application=earlier, created=False)
            application = _place(customer=customer, count=count, idempotency_key=idempotency_key, actor=actor)
    except DomainError as refusal:
        audit_refusal(
            actor=actor,
            action="application.refused",
            customer_id=customer_id,
            detail={"reason": refusal.code, "requested": _requested(count), **_safe_params(refusal)},
        )
        metrics.application_refused(reason=refusal.code)
        raise
    metrics.application_placed(count=count)
    return Placement(application=application, created=True)


def _issuable_numbers_lock(*, count: int) -> list[tuple[str, dt.date]]:
    with bounded_lock_wait():
        return list(
            PhoneNumber.objects.issuable()
            .in_issue_order()
            .select_for_update(skip_locked=True)
            .values_list("number", "available_from")[:count]
        )


def _place(*, customer: Customer, count: int, idempotency_key: str, actor: Actor) -> Application:
    if (refusal := customer.addition_refusal(count)) is not None:
        raise refusal
    locked = _issuable_numbers_lock(count=count)
    numbers = [number for number, _day in locked]
    if len(numbers) < count:
        raise PoolShort(requested=count, available=len(numbers))

    now = clock.now()
    application = _create_application(customer=customer, count=count, idempotency_key=idempotency_key, placed_at=now)
    claimed = PhoneNumber.objects.filter(number__in=numbers, status=PhoneNumber.Status.FREE).update(
        status=PhoneNumber.Status.ASSIGNED
    )
    if claimed != count:
        raise IntegrityError(f"claimed {claimed} of {count} locked numbers")
    numbers_issued((day for _number, day in locked), at=now)
    IssuedLine.objects.bulk_create(
        _new_line(application=application, customer=customer, number=number, issued_at=now)
        for number in sorted(numbers)
    )
    Customer.objects.filter(pk=customer.pk).update(numbers_added=F("numbers_added") + count)
    Letter.to_contract_address(customer, kind=Letter.Kind.SERVICE_START, application=application, queued_at=now).save()
    enqueue(order_jobs.application_notice_send, application_id=application.pk, language=translation.get_language())
    audit_record(
        actor=actor,
        action="application.placed",
        customer=customer,
        target=application.application_number,
        detail={
            "count": count,
            "numbers": sorted(numbers),
            "monthly_fee_per_number": application.monthly_fee_per_number,
        },
    )
    webhook_events.application_completed(application=application, numbers=numbers)
    return application


def _new_line(*, application: Application, customer: Customer, number: str, issued_at: dt.datetime) -> IssuedLine:
    sip_password = credentials.new_sip_password()
    digests = sip_digests(number=number, password=sip_password)
    return IssuedLine(
        application=application,
        customer=customer,
        number_id=number,
        issued_at=issued_at,
        service_pin_encrypted=crypto.encrypt(credentials.new_service_pin()),
        sip_password_encrypted=crypto.encrypt(sip_password),
        sip_ha1=digests.ha1,
        sip_ha1b=digests.ha1b,
    )


def _create_application(*, customer: Customer, count: int, idempotency_key: str, placed_at: dt.datetime) -> Application:
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Application.objects.create(
                    application_number=new_application_number(),
                    customer=customer,
                    count=count,
                    monthly_fee_per_number=customer.plan.monthly_fee_per_number,
                    plan_code=customer.plan.code,
                    idempotency_key=idempotency_key,
                    placed_at=placed_at,
                )
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")
