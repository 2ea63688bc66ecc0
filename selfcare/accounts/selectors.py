from __future__ import annotations

import datetime as dt
import unicodedata

from selfcare.accounts.errors import CustomerNotFound
from selfcare.accounts.models import Customer


def customer_get(*, selfcare_id: str) -> Customer:
    try:
        return Customer.objects.select_related("user", "plan").get(user__username=selfcare_id)
    except Customer.DoesNotExist:
        raise CustomerNotFound(selfcare_id=selfcare_id) from None


MAX_NAME_WORDS = 4


def customers_find(*, term: str, number: str | None = None, limit: int = 10) -> list[Customer]:
    """The customers a staff member means by ``term``: the holder of ``number`` (a 050 number not yet
    cancelled), else the exact self-care ID, else contract names containing the term (at most ``limit``).

    Each is one indexed lookup except the name search, which staff type rarely and which stops at ``limit``.
    """
    customers = Customer.objects.select_related("user").order_by("user__username")
    if number is not None:
        return list(customers.filter(lines__number_id=number, lines__cancellation__isnull=True)[:limit])
    term = term.strip()
    if not term:
        return []
    exact = list(customers.filter(user__username=term)[:1])
    if exact:
        return exact
    # A name typed with spaces (山田 太郎, a full-width space too) is its words, each in the contract name,
    # whether the name was stored with a space or without; at most MAX_NAME_WORDS words (a name is a few).
    for word in unicodedata.normalize("NFKC", term).split()[:MAX_NAME_WORDS]:
        customers = customers.filter(contract_name__icontains=word)
    return list(customers[:limit])


def customers_locked_count(*, now: dt.datetime) -> int:
    """Customers whose login is locked at ``now`` (after repeated failures)."""
    return Customer.objects.filter(user__locked_until__gt=now).count()
