"""Requests done once: the one mechanism behind the portal's 実行 and the business API's ``Idempotency-Key``.

A request that changes something carries a key its sender chose (the portal: the confirmation
page's token; a program: the ``Idempotency-Key`` header) and a fingerprint of what it asks for.
``request_once`` records the key before any work, in a transaction of its own, so every app server
sees it at once:

- a first request claims the key (in flight), does the work, and stores its answer (done);
- the same key with the same fingerprint, once done, gets the stored answer again (``replayed``);
- the same key while the first is still in flight waits for it (at most
  ``SELFCARE_IDEMPOTENCY_WAIT_MS``) and then gets its answer, or ``RequestInFlight``;
- the same key with another fingerprint is ``IdempotencyKeyReused``;
- a claim whose request died is taken over by the next request with the key: on PostgreSQL at once
  (a live request holds a session advisory lock on its key, which the server releases when the
  request's connection goes: a killed worker, a lost primary), on SQLite once its lease
  (``SELFCARE_IDEMPOTENCY_LEASE_SECONDS``) has run out.

A refusal (a domain error: limit, pool, busy) changed nothing, so its claim is withdrawn and the
key may be sent again. The work itself must be idempotent under its key too (``numbers_add`` keeps
the key on the application, unique per customer): that, not this table, is the final referee, so
even a claim taken over from a request still running makes no second application.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from selfcare.core import clock
from selfcare.idempotency.errors import (
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    RequestInFlight,
)
from selfcare.idempotency.models import IdempotencyRecord

MAX_KEY = 64
KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,64}")
_POLL_FIRST, _POLL_MAX = 0.02, 0.2
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool


def key_check(key: str | None) -> str:
    """The key as sent, or IdempotencyKeyMissing / IdempotencyKeyInvalid."""
    if key is None or key == "":
        raise IdempotencyKeyMissing()
    if not KEY_SHAPE.fullmatch(key):
        raise IdempotencyKeyInvalid(maximum=MAX_KEY)
    return key


def fingerprint(operation: str, **fields: Any) -> str:
    """A digest of what a request asks for: the operation and its parsed fields (JSON, keys sorted)."""
    canonical = json.dumps({"operation": operation, "fields": fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_once(
    *, customer_id: int, key: str, fingerprint: str, work: Callable[[], tuple[int, dict[str, Any]]]
) -> Answer:
    """Do ``work`` once for this customer's ``key``; every repeat gets the first answer (status and body).

    ``work`` returns the status and a JSON body holding no secret. Raises IdempotencyKeyMissing,
    IdempotencyKeyInvalid, IdempotencyKeyReused, RequestInFlight, or what ``work`` raises (its claim
    withdrawn).
    """
    key = key_check(key)
    claim = _claim(customer_id=customer_id, key=key, fingerprint=fingerprint)
    if isinstance(claim, Answer):
        return claim
    try:
        try:
            status, body = work()
        except BaseException:
            _withdraw(claim)
            raise
        with transaction.atomic():
            IdempotencyRecord.objects.filter(pk=claim.pk, owner=claim.owner).update(
                state=IdempotencyRecord.State.DONE, response_status=status, response_body=body, completed_at=clock.now()
            )
    finally:
        _alive_unlock(customer_id, key)
    return Answer(status=status, body=body, replayed=False)


# A request in flight is alive while its connection holds this advisory lock (PostgreSQL only).
_LOCK_SPACE = b"selfcare.idempotency"


def _lock_id(customer_id: int, key: str) -> int:
    digest = hashlib.sha256(_LOCK_SPACE + f":{customer_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _alive_lock(customer_id: int, key: str) -> bool | None:
    """Take the key's liveness lock: True when taken, False when a live request holds it, None without locks."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_id(customer_id, key)])
        return bool(cursor.fetchone()[0])


def _alive_unlock(customer_id: int, key: str) -> None:
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_id(customer_id, key)])
    except Exception:  # the connection went away, and the lock with it
        logger.warning("an idempotency key's lock could not be released; its connection is gone")


@dataclass(frozen=True)
class _Claim:
    pk: int
    owner: str


def _claim(*, customer_id: int, key: str, fingerprint: str) -> _Claim | Answer:
    """Claim the key (holding its liveness lock on PostgreSQL), or the stored answer, or wait, or refuse."""
    owner = secrets.token_hex(16)
    deadline = time.monotonic() + settings.SELFCARE_IDEMPOTENCY_WAIT_MS / 1000
    pause = _POLL_FIRST
    while True:
        alive = _alive_lock(customer_id, key)
        if alive is False:  # a request with this key is running now, on some app server
            if time.monotonic() + pause > deadline:
                raise RequestInFlight()
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
            continue
        try:
            found = _claim_or_answer(
                customer_id=customer_id, key=key, fingerprint=fingerprint, owner=owner, alive=alive
            )
        except BaseException:
            if alive:
                _alive_unlock(customer_id, key)
            raise
        if isinstance(found, _Claim):
            return found  # its lock is released when the request ends (request_once)
        if alive:
            _alive_unlock(customer_id, key)
        if isinstance(found, Answer):
            return found
        if time.monotonic() + pause > deadline:
            raise RequestInFlight()
        time.sleep(pause)
        pause = min(pause * 2, _POLL_MAX)


def _claim_or_answer(
    *, customer_id: int, key: str, fingerprint: str, owner: str, alive: bool | None
) -> _Claim | Answer | None:
    """One look: the claim made or taken over, the stored answer, or None (in flight: wait)."""
    while True:
        now = clock.now()
        lease_until = now + dt.timedelta(seconds=settings.SELFCARE_IDEMPOTENCY_LEASE_SECONDS)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    customer_id=customer_id,
                    key=key,
                    fingerprint=fingerprint,
                    state=IdempotencyRecord.State.IN_FLIGHT,
                    owner=owner,
                    lease_until=lease_until,
                    created_at=now,
                )
            return _Claim(pk=record.pk, owner=owner)
        except IntegrityError:
            pass
        earlier = IdempotencyRecord.objects.filter(customer_id=customer_id, key=key).first()
        if earlier is None:
            continue  # withdrawn (refused) or purged since: claim it afresh
        if earlier.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if earlier.state == IdempotencyRecord.State.DONE:
            assert earlier.response_status is not None
            return Answer(status=earlier.response_status, body=earlier.response_body or {}, replayed=True)
        # In flight. Holding its liveness lock proves its request has ended without an answer (PostgreSQL);
        # without locks, only its lease running out does.
        if alive or earlier.lease_until <= now:
            taken = IdempotencyRecord.objects.filter(
                pk=earlier.pk, owner=earlier.owner, state=IdempotencyRecord.State.IN_FLIGHT
            ).update(owner=owner, lease_until=lease_until)
            if taken:
                return _Claim(pk=earlier.pk, owner=owner)
            continue
        return None


def _withdraw(claim: _Claim) -> None:
    """The work was refused or failed: nothing was changed, so the key is free to be sent again."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                pk=claim.pk, owner=claim.owner, state=IdempotencyRecord.State.IN_FLIGHT
            ).delete()
    except Exception:  # the database went away too: the claim's lease runs out, and a repeat takes it over
        logger.exception("an idempotency claim could not be withdrawn")


def idempotency_records_purge(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than SELFCARE_IDEMPOTENCY_KEEP_HOURS (done, or in flight past their lease)."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(hours=settings.SELFCARE_IDEMPOTENCY_KEEP_HOURS)
    with transaction.atomic():
        deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff, lease_until__lt=now).delete()
    return deleted
