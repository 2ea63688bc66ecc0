"""Every row lock this app takes. Lock order across the system: customer, then numbers."""

from __future__ import annotations

from selfcare.accounts.models import Customer


def customer_lock(*, customer_id: int) -> Customer:
    """Lock one customer row for the rest of the transaction (a no-op on SQLite, where IMMEDIATE serialises)."""
    return Customer.objects.select_for_update(of=("self",)).select_related("user", "plan").get(pk=customer_id)
