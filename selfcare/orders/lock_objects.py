"""Every row lock this app takes.

Order across the system (docs/concurrency.md): the customer first
(accounts.lock_objects.customer_lock), then numbers, then lines, each set in
ascending number order, so two transactions never wait on each other in a circle.
"""

from __future__ import annotations

import datetime as dt

from selfcare.core.locking import bounded_lock_wait
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.models import IssuedLine


def issuable_numbers_lock(*, count: int) -> list[tuple[str, dt.date]]:
    """Lock up to ``count`` issuable numbers in issue order, skipping ones other transactions hold: each
    with the day it became issuable (what the pool tally counts it under).

    SKIP LOCKED lets parallel applications take different numbers instead of
    queueing on the same rows; a shortfall means the pool is short right now.
    """
    with bounded_lock_wait():
        return list(
            PhoneNumber.objects.issuable()
            .in_issue_order()
            .select_for_update(skip_locked=True)
            .values_list("number", "available_from")[:count]
        )


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
