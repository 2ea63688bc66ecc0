from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

from selfcare.accounts.lock_objects import customer_lock
from selfcare.accounts.models import Customer
from selfcare.audit.services import Actor, actor_to_json, audit_record, audit_refusal
from selfcare.core import clock, crypto
from selfcare.core.errors import DomainError
from selfcare.inventory.models import PhoneNumber, format_number
from selfcare.inventory.tally import HELD, numbers_issued, pool_changed
from selfcare.jobs import enqueue
from selfcare.letters.models import Letter
from selfcare.ops import metrics
from selfcare.orders import credentials, signals, webhook_events
from selfcare.orders import jobs as order_jobs
from selfcare.orders.credentials import sip_digests
from selfcare.orders.errors import (
    BadCancellationDates,
    CancellationBeforeIssue,
    CancellationTooLate,
    FormReceivedBeforeIssue,
    FormReceivedBeforeIssues,
    LineNotFound,
    LineNotLive,
    NothingToCancel,
    NumbersNotHeld,
    NumbersOfSeveralCustomers,
    PoolShort,
    number_issued_on,
)
from selfcare.orders.lock_objects import issuable_numbers_lock, uncancelled_lines_lock
from selfcare.orders.models import Application, Cancellation, IssuedLine
from selfcare.orders.parsing import parse_count
from selfcare.orders.selectors import sip_reissue_lines

_APPLICATION_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MAX_IDEMPOTENCY_KEY = 64


def new_application_number() -> str:
    """申込番号 such as 261124-7KQ3M9XA: the day it was placed, then 8 random characters."""
    suffix = "".join(secrets.choice(_APPLICATION_CODE_ALPHABET) for _ in range(8))
    return f"{clock.today():%y%m%d}-{suffix}"


@dataclass(frozen=True)
class Placement:
    application: Application
    created: bool
    """False when the idempotency key had been used: this is the first application, shown again."""


def numbers_add(*, customer_id: int, count: int | str, idempotency_key: str, actor: Actor) -> Placement:
    """Add ``count`` numbers for a customer, with two fresh passwords each, as one application.

    One durable transaction: lock the customer (serialising that customer's
    applications), return the earlier application if this idempotency key has
    been used, check status and limit, take the numbers with SKIP LOCKED, write
    the application, its lines and its letter, raise the customer's counter.
    Either all of it commits or nothing does.

    Raises BadCount, CustomerSuspended, LimitReached or PoolShort; each refusal
    is recorded in the audit log in a transaction of its own.
    """
    if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ValueError("idempotency_key must be 1 to 64 characters")
    try:
        count = parse_count(count)
        with transaction.atomic(durable=True):
            customer = customer_lock(customer_id=customer_id)
            earlier = _earlier_application(customer_id=customer.pk, idempotency_key=idempotency_key)
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


def _requested(count: int | str) -> str:
    """The count as asked, short enough for the audit log (a huge int cannot even be turned into text)."""
    if isinstance(count, int):
        return str(count) if abs(count) < 10**9 else "(too large)"
    return str(count)[:10]


def _safe_params(refusal: DomainError) -> dict[str, object]:
    return {k: v for k, v in refusal.params.items() if isinstance(v, int)}


def _earlier_application(*, customer_id: int, idempotency_key: str) -> Application | None:
    """The application placed before with this key, if any: looked up by its unique (customer, key) and read
    whole only when there is one (a repeat is rare)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM orders_application WHERE customer_id = %s AND idempotency_key = %s",
            [customer_id, idempotency_key],
        )
        row = cursor.fetchone()
    return None if row is None else Application.objects.get(pk=row[0])


def _place(*, customer: Customer, count: int, idempotency_key: str, actor: Actor) -> Application:
    if (refusal := customer.addition_refusal(count)) is not None:
        raise refusal
    claimed = issuable_numbers_lock(count=count)  # locked and claimed in one statement, ascending number
    if len(claimed) < count:
        raise PoolShort(requested=count, available=len(claimed))  # the rollback frees what was claimed
    numbers = [number for number, _day in claimed]

    now = clock.now()
    application = _create_application(customer=customer, count=count, idempotency_key=idempotency_key, placed_at=now)
    numbers_issued((day for _number, day in claimed), at=now)
    _create_lines(application=application, numbers=numbers)
    with connection.cursor() as cursor:  # numbers_added = numbers_added + count, as F() would write it
        cursor.execute(
            "UPDATE accounts_customer SET numbers_added = numbers_added + %s WHERE id = %s", [count, customer.pk]
        )
    Letter.to_contract_address(customer, kind=Letter.Kind.SERVICE_START, application=application, queued_at=now).save()
    # The notice is a job in this transaction: it exists exactly when the application does.
    enqueue(order_jobs.application_notice_send, application_id=application.pk, language=translation.get_language())
    audit_record(
        actor=actor,
        action="application.placed",
        customer=customer,
        target=application.application_number,
        detail={
            "count": count,
            "numbers": numbers,
            "monthly_fee_per_number": application.monthly_fee_per_number,
        },
    )
    webhook_events.application_completed(application=application, numbers=numbers)
    return application


def _create_application(*, customer: Customer, count: int, idempotency_key: str, placed_at: dt.datetime) -> Application:
    """Insert the application and return it as written, read back only for its id.

    The application number is random; on the rare clash ``ON CONFLICT DO NOTHING`` writes nothing and a
    new number is drawn, without the savepoint (two more round trips) that catching the error would need.
    """
    application = Application(
        customer=customer,
        count=count,
        monthly_fee_per_number=customer.plan.monthly_fee_per_number,
        plan_code=customer.plan.code,
        idempotency_key=idempotency_key,
        placed_at=placed_at,
    )
    for _attempt in range(5):
        application.application_number = new_application_number()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO orders_application (application_number, customer_id, count, monthly_fee_per_number,"
                " plan_code, idempotency_key, placed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (application_number) DO NOTHING RETURNING id",
                [
                    application.application_number,
                    customer.pk,
                    count,
                    application.monthly_fee_per_number,
                    application.plan_code,
                    idempotency_key,
                    connection.ops.adapt_datetimefield_value(placed_at),
                ],
            )
            row = cursor.fetchone()
        if row is not None:
            application.pk = row[0]
            application._state.adding, application._state.db = False, connection.alias  # as save() leaves it
            return application
    raise IntegrityError("five application numbers drawn in a row were taken")


_LINE_COLUMNS = (
    "application_id, customer_id, number, issued_at, service_pin_encrypted, sip_password_encrypted, sip_ha1, sip_ha1b"
)


def _create_lines(*, application: Application, numbers: list[str]) -> None:
    """The application's lines, one per number, as one INSERT of their values (no model instances)."""
    common = (application.pk, application.customer_id)
    issued_at = connection.ops.adapt_datetimefield_value(application.placed_at)
    params = [value for number in numbers for value in (*common, number, issued_at, *_new_line(number=number))]
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(numbers))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO orders_issuedline ({_LINE_COLUMNS}) VALUES {rows}", params)  # noqa: S608


def _new_line(*, number: str) -> tuple[str, str, str, str]:
    """A line's secrets: two fresh passwords, encrypted, and the registrar's digests of the IP phone password
    (service PIN, IP phone password, HA1, HA1B)."""
    sip_password = credentials.new_sip_password()
    digests = sip_digests(number=number, password=sip_password)
    return (
        crypto.encrypt(credentials.new_service_pin()),
        crypto.encrypt(sip_password),
        digests.ha1,
        digests.ha1b,
    )


def quarantine_end(effective_on: dt.date) -> dt.date:
    """The first day a cancelled number may be issued again."""
    return clock.add_months(effective_on, settings.SELFCARE_QUARANTINE_MONTHS)


def numbers_cancel(
    *,
    numbers: list[str],
    received_on: dt.date,
    actor: Actor,
    effective_on: dt.date | None = None,
    customer_id: int | None = None,
    note: str = "",
) -> Cancellation:
    """Record a paper cancellation form for one customer's numbers.

    The numbers stay the customer's until ``effective_on`` (default: the day
    received) and go back to the pool with ``available_from`` at the end of
    their quarantine, so no one can be issued them before then.
    Raises NothingToCancel, BadCancellationDates, CancellationTooLate, NumbersNotHeld,
    NumbersOfSeveralCustomers, FormReceivedBeforeIssue or CancellationBeforeIssue.
    """
    numbers = sorted(set(numbers))
    if not numbers:
        raise NothingToCancel()
    effective_on = effective_on or received_on
    if effective_on < received_on:
        raise BadCancellationDates(effective_on=effective_on.isoformat(), received_on=received_on.isoformat())
    last = clock.add_months(dt.date.max, -settings.SELFCARE_QUARANTINE_MONTHS)
    if effective_on > last:
        raise CancellationTooLate(last=last.isoformat())
    holders = set(
        IssuedLine.objects.not_cancelled().filter(number_id__in=numbers).values_list("customer_id", flat=True)
    )
    if customer_id is None and len(holders) > 1:
        raise NumbersOfSeveralCustomers(numbers=", ".join(format_number(n) for n in numbers))
    holder_id = customer_id if customer_id is not None else next(iter(holders), None)
    if holder_id is None:
        raise NumbersNotHeld(numbers=", ".join(format_number(n) for n in numbers))

    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=holder_id)
        lines = uncancelled_lines_lock(numbers=numbers)
        held = {line.number_id for line in lines if line.customer_id == customer.pk}
        if held != set(numbers):
            raise NumbersNotHeld(numbers=", ".join(format_number(n) for n in numbers if n not in held))
        # rules.md, *cancellation*: the form cannot be for a number not yet issued; every such number is named.
        issued_after = sorted(
            (line.number_id, timezone.localdate(line.issued_at))
            for line in lines
            if received_on < timezone.localdate(line.issued_at)
        )
        if len(issued_after) == 1:
            raise FormReceivedBeforeIssue(
                number=format_number(issued_after[0][0]),
                issued_on=issued_after[0][1].isoformat(),
                received_on=received_on.isoformat(),
            )
        if issued_after:
            named = ", ".join(number_issued_on(format_number(n), day.isoformat()) for n, day in issued_after)
            raise FormReceivedBeforeIssues(numbers=named, received_on=received_on.isoformat())
        for line in lines:
            issued_on = timezone.localdate(line.issued_at)
            if effective_on < issued_on:
                raise CancellationBeforeIssue(number=format_number(line.number_id), issued_on=issued_on.isoformat())
        cancellation = Cancellation.objects.create(
            customer=customer,
            received_on=received_on,
            effective_on=effective_on,
            recorded_at=clock.now(),
            recorded_by_id=actor.user_id if actor.kind == "staff" else None,
            note=note,
        )
        IssuedLine.objects.filter(pk__in=[line.pk for line in lines]).update(
            cancellation=cancellation, cancelled_on=effective_on
        )
        if effective_on <= clock.today():
            # In effect at once: the registrar already refuses the numbers; drop their phones too.
            signals.numbers_stopped_today.send(sender=IssuedLine, numbers=numbers, actor=actor_to_json(actor))
        free_from = quarantine_end(effective_on)
        freed = PhoneNumber.objects.filter(number__in=numbers, status=PhoneNumber.Status.ASSIGNED).update(
            status=PhoneNumber.Status.FREE, available_from=free_from
        )
        pool_changed({HELD: -freed, free_from: freed})
        audit_record(
            actor=actor,
            action="numbers.cancelled",
            customer=customer,
            target=f"cancellation:{cancellation.pk}",
            detail={
                "numbers": numbers,
                "received_on": received_on.isoformat(),
                "effective_on": effective_on.isoformat(),
                "available_from": free_from.isoformat(),
            },
        )
    return cancellation


def sip_password_reissue(*, line_id: int, actor: Actor) -> Letter:
    """The staff's reissue of one line's IP phone password (``sip_passwords_reissue``); the letter it queued."""
    return sip_passwords_reissue(line_ids=[line_id], actor=actor)[0].letter


@dataclass(frozen=True)
class Reissued:
    letter: Letter
    number: str
    password: str
    """The new IP phone password in clear, for the one page or API answer that shows it (stored only encrypted)."""
    reissued_at: dt.datetime


def sip_passwords_reissue(*, line_ids: list[int], actor: Actor) -> list[Reissued]:
    """The customer centre's reissue of the IP phone passwords of one customer's lines: all of them or none.

    Refuses more than SIP_REISSUE_MAX_LINES lines, or lines of several customers (the customer is
    told, and their phones set up again, one customer at a time), as ``sip_reissue_lines`` does for
    the confirmation page. One durable transaction under the customer's lock; each line as
    ``sip_password_reissue_shown`` does it (letter, audit, webhook, registrar). The customer did not
    ask for it, so their registered address is told which numbers' passwords the customer centre
    reissued and that the new ones come by post: one notice job enqueued in the same transaction,
    never with a password in it.

    Raises ReissueTooMany, ReissueOfSeveralCustomers, LineNotFound or LineNotLive.
    """
    lines = sip_reissue_lines(line_ids=line_ids)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=lines[0].customer_id)
        reissued = [
            _sip_password_reissue_locked(customer=customer, line_id=line.line_id, actor=actor) for line in lines
        ]
        enqueue(
            order_jobs.sip_password_reissued_notice_send,
            customer_id=customer.pk,
            numbers=[r.number for r in reissued],
            language=translation.get_language(),
        )
    return reissued


def sip_password_reissue_shown(*, line_id: int, actor: Actor, customer_id: int | None = None) -> Reissued:
    """Give a line a new IP phone password (IP加入電話パスワード) and queue the letter that carries it.

    One durable transaction: lock the line's customer (as a cancellation does, so the two never
    interleave), refuse a line whose cancellation has taken effect, write the new password
    (encrypted) and its registrar digests with a conditional update, queue an
    IP加入電話パスワード再発行のご案内 letter for this line, and record the reissue in the audit
    log (never the password). From the commit the registrar refuses the old password; after it,
    the phones registered with the old password are dropped (when SELFCARE_REGISTRAR_CTL is set).
    The additional service password (PIN) is not changed. The customer's webhook endpoints are told
    (``sip_password.reissued``, without the password). With ``customer_id`` (the portal and the API)
    the line must be that customer's.

    Raises LineNotFound or LineNotLive.
    """
    lines = IssuedLine.objects.filter(pk=line_id)
    if customer_id is not None:
        lines = lines.filter(customer_id=customer_id)
    customer_id = lines.values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise LineNotFound(line_id=line_id)
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        return _sip_password_reissue_locked(customer=customer, line_id=line_id, actor=actor)


def _sip_password_reissue_locked(*, customer: Customer, line_id: int, actor: Actor) -> Reissued:
    """A reissue inside the caller's transaction, under its lock of the line's ``customer``."""
    line = IssuedLine.objects.select_related("application").get(pk=line_id)
    today = clock.today()
    if line.cancelled_on is not None and line.cancelled_on <= today:
        raise LineNotLive(number=format_number(line.number_id), cancelled_on=line.cancelled_on.isoformat())
    password = credentials.new_sip_password()
    digests = sip_digests(number=line.number_id, password=password)
    now = clock.now()
    updated = (
        IssuedLine.objects.filter(pk=line.pk, customer_id=customer.pk)
        .filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=today))
        .update(
            sip_password_encrypted=crypto.encrypt(password),
            sip_ha1=digests.ha1,
            sip_ha1b=digests.ha1b,
            sip_password_reissued_at=now,
        )
    )
    if updated != 1:  # the customer lock makes this impossible; never queue a letter on a doubt
        raise IntegrityError(f"reissue of line {line.pk} updated {updated} rows")
    letter = Letter.to_contract_address(customer, kind=Letter.Kind.SIP_PASSWORD_REISSUE, line=line, queued_at=now)
    letter.save()
    audit_record(
        actor=actor,
        action="sip_password.reissued",
        customer=customer,
        target=line.number_id,
        detail={"line": line.pk, "application": line.application.application_number, "letter": letter.pk},
    )
    webhook_events.sip_password_reissued(line=line, reissued_at=now)
    signals.sip_password_replaced.send(sender=IssuedLine, number=line.number_id)
    return Reissued(letter=letter, number=line.number_id, password=password, reissued_at=now)
