"""Every row lock this app takes.

Order across the system (docs/concurrency.md): customer, numbers, lines (in
ascending number order). Letters are locked on their own, by ascending id, and
never while holding a lock of another app; the purge locks only lines, in the
same ascending number order as orders.lock_objects, so it cannot deadlock with
a cancellation.
"""

from __future__ import annotations

import datetime as dt

from selfcare.core.locking import bounded_lock_wait
from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine


def letters_lock(*, letter_ids: list[int]) -> list[Letter]:
    with bounded_lock_wait():
        return list(
            Letter.objects.select_for_update(of=("self",))
            .select_related("application")
            .filter(pk__in=letter_ids)
            .order_by("pk")
        )


def letters_with_secret_lock() -> list[Letter]:
    """Every letter still holding a secret of its own (a self-care initial password), by ascending id."""
    with bounded_lock_wait():
        return list(
            Letter.objects.select_for_update()
            .filter(secret_encrypted__gt="")
            .order_by("pk")
            .only("pk", "secret_encrypted")
        )


def lines_with_secrets_lock(*, posted_before: dt.datetime) -> list[IssuedLine]:
    """Lines still holding passwords whose letter was posted at or before ``posted_before``."""
    with bounded_lock_wait():
        return list(
            IssuedLine.objects.select_for_update(of=("self",))
            .select_related("application__letter")
            .filter(secrets_destroyed_at__isnull=True, application__letter__posted_at__lte=posted_before)
            .order_by("number_id", "pk")
        )
