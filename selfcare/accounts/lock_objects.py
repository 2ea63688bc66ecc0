"""Every row lock this app takes.

Order across the system (docs/architecture.md): a login's user row on its own; otherwise the
customer first, then numbers, then lines.
"""

from __future__ import annotations

from selfcare.accounts.models import Customer, User
from selfcare.core.locking import bounded_lock_wait


def customer_lock(*, customer_id: int) -> Customer:
    """Lock one customer row for the rest of the transaction (a no-op on SQLite, where IMMEDIATE serialises).

    ``FOR NO KEY UPDATE``: it serialises the customer's own changes but lets other transactions
    insert rows that refer to the customer (an audit entry of a refusal or a login) meanwhile.
    """
    with bounded_lock_wait():
        return (
            Customer.objects.select_for_update(of=("self",), no_key=True)
            .select_related("user", "plan")
            .get(pk=customer_id)
        )


def user_lock(*, user_id: int) -> User:
    """Lock a login's user row: its codes are sent and checked one at a time."""
    with bounded_lock_wait():
        return User.objects.select_for_update().get(pk=user_id)


def staff_user_lock(*, username: str) -> User | None:
    """Lock an active staff member's user row by name (None when there is no such staff member)."""
    with bounded_lock_wait():
        return User.objects.select_for_update().filter(username=username, is_staff=True, is_active=True).first()
