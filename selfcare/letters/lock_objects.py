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


def credentials_letters_lock(*, customer_id: int) -> list[Letter]:
    """The customer's self-care ID letters, by ascending id (the caller holds the customer's lock)."""
    with bounded_lock_wait():
        return list(
            Letter.objects.select_for_update()
            .filter(customer_id=customer_id, kind=Letter.Kind.SELFCARE_CREDENTIALS)
            .order_by("pk")
            .only("pk", "secret_encrypted", "posted_at", "withdrawn_at")
        )
