"""Every row lock this app takes.

Order across the system (docs/concurrency.md): customer, numbers, lines (in
ascending number order). Letters are locked on their own, by ascending id, and
never while holding a lock of another app.
"""

from __future__ import annotations

from selfcare.core.locking import bounded_lock_wait
from selfcare.letters.models import Letter


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
