"""Every row lock this app takes.

Order across the system (docs/concurrency.md): the customer first
(accounts.lock_objects.customer_lock), then numbers, then lines, each set in
ascending number order, so two transactions never wait on each other in a circle.
"""

from __future__ import annotations

from selfcare.core.locking import bounded_lock_wait
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.models import IssuedLine


def issuable_numbers_lock(*, count: int) -> list[str]:
    """Lock up to ``count`` issuable numbers in issue order, skipping ones other transactions hold.

    SKIP LOCKED lets parallel applications take different numbers instead of
    queueing on the same rows; a shortfall means the pool is short right now.
    """
    with bounded_lock_wait():
        return list(
            PhoneNumber.objects.issuable()
            .in_issue_order()
            .select_for_update(skip_locked=True)
            .values_list("number", flat=True)[:count]
        )


def uncancelled_lines_lock(*, numbers: list[str]) -> list[IssuedLine]:
    with bounded_lock_wait():
        return list(
            IssuedLine.objects.select_for_update(of=("self",))
            .filter(number_id__in=numbers, cancellation__isnull=True)
            .order_by("number_id")
        )
