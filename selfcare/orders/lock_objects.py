"""Every row lock this app takes.

Order across the system (docs/concurrency.md): the customer first
(accounts.lock_objects.customer_lock), then numbers, then lines, each set in
ascending number order, so two transactions never wait on each other in a circle.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Q

from selfcare.core import clock
from selfcare.core.locking import bounded_lock_wait
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.models import IssuedLine


def issuable_numbers_lock(*, count: int) -> list[tuple[str, dt.date]]:
    """Lock up to ``count`` issuable numbers in issue order, skipping ones other transactions hold, and claim
    them (status ``assigned``) in the same statement: each with the day it became issuable (what the pool
    tally counts it under), in ascending number.

    SKIP LOCKED lets parallel applications take different numbers instead of queueing on the same rows; a
    shortfall means the pool is short right now, and the caller refuses the application, which rolls the
    claim back with everything else. The claim re-checks ``status = 'free'`` on the locked rows, so a number
    is claimed by one transaction only.
    """
    # One statement instead of a locking SELECT and a conditional UPDATE: the numbers picked are materialised
    # first (locked in issue order, the lock order of docs/concurrency.md), then claimed. SQLite has no row
    # locks (BEGIN IMMEDIATE serialises writers), hence no FOR UPDATE there.
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        "WITH picked AS MATERIALIZED ("  # noqa: S608 - only the lock clause is put in, never a value
        " SELECT number FROM inventory_phonenumber WHERE status = %s AND available_from <= %s"
        f" ORDER BY available_from, number LIMIT %s{lock})"
        " UPDATE inventory_phonenumber SET status = %s"
        " WHERE number IN (SELECT number FROM picked) AND status = %s"
        " RETURNING number, available_from"
    )
    free, assigned = PhoneNumber.Status.FREE, PhoneNumber.Status.ASSIGNED
    params = [free, connection.ops.adapt_datefield_value(clock.today()), count, assigned, free]
    with bounded_lock_wait(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return sorted((number, _date(day)) for number, day in rows)


def _date(value: dt.date | str) -> dt.date:
    """A date column as read by a raw cursor (SQLite may hand back its text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def uncancelled_lines_lock(*, numbers: list[str]) -> list[IssuedLine]:
    with bounded_lock_wait():
        return list(
            IssuedLine.objects.select_for_update(of=("self",))
            .filter(number_id__in=numbers, cancellation__isnull=True)
            .order_by("number_id")
        )


def lines_to_rotate_lock(*, after_pk: int, limit: int) -> list[IssuedLine]:
    """Lock the next ``limit`` lines after ``after_pk`` (by pk) that still hold passwords, for key rotation.

    The chunk is chosen by pk, so a rotation walks every line once however numbers are reissued;
    its rows are locked in ascending number, the order every other transaction locks lines in.
    Only the pk and the encrypted columns are loaded.
    """
    chunk = (
        IssuedLine.objects.filter(pk__gt=after_pk, secrets_destroyed_at__isnull=True)
        .order_by("pk")
        .values("pk")[:limit]
    )
    with bounded_lock_wait():
        lines = list(
            IssuedLine.objects.select_for_update()
            .filter(pk__in=chunk, secrets_destroyed_at__isnull=True)  # re-checked after a wait
            .order_by("number_id", "pk")
            .only("pk", "service_pin_encrypted", "sip_password_encrypted")
        )
    return sorted(lines, key=lambda line: line.pk)


def lines_with_secrets_lock(*, where: Q) -> list[IssuedLine]:
    """Lock the lines still holding passwords that also meet ``where`` (the secrets purge's condition on
    their letters), in ascending number as everywhere else, with their applications."""
    with bounded_lock_wait():
        return list(
            IssuedLine.objects.select_for_update(of=("self",))
            .select_related("application")
            .filter(where, secrets_destroyed_at__isnull=True)
            .order_by("number_id", "pk")
        )
