"""The staff site: every change goes through the domain services; the admin only parses and shows.

One module per area; importing this package registers them all with the staff site.
"""

from selfcare.backoffice.admin import api, audit, customers, inventory, jobs, letters, orders, staff
from selfcare.backoffice.admin.base import no_store, staff_actor
from selfcare.backoffice.admin.orders import IssuedLineAdmin

__all__ = [
    "IssuedLineAdmin",
    "api",
    "audit",
    "customers",
    "inventory",
    "jobs",
    "letters",
    "no_store",
    "orders",
    "staff",
    "staff_actor",
]
