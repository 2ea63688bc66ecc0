from __future__ import annotations

from selfcare.accounts.errors import CustomerNotFound
from selfcare.accounts.models import Customer


def customer_get(*, selfcare_id: str) -> Customer:
    try:
        return Customer.objects.select_related("user", "plan").get(user__username=selfcare_id)
    except Customer.DoesNotExist:
        raise CustomerNotFound(selfcare_id=selfcare_id) from None
