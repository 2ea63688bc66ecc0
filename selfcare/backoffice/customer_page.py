"""What the staff customer page shows beside the stored columns: plans by name, the password-change state."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from selfcare.accounts.models import Customer, Plan
from selfcare.orders.models import Application


def plan_label(code: str) -> str:
    """``name (code)`` of the plan with this code, or the code alone for a plan that no longer exists."""
    plan = Plan.objects.filter(code=code).only("code", "name").first()
    return str(plan) if plan is not None else code


@admin.display(description=_("plan at the time"), ordering="plan_code")
def application_plan(application: Application) -> str:
    """An application keeps the code of the plan it was billed under; staff read the plan's name."""
    return plan_label(application.plan_code)


@admin.display(description=_("password change at the next login"))
def password_change(customer: Customer) -> str:
    if customer.user.password_change_required:
        return str(
            _(
                "Required: the current password was set by staff or posted on a letter; the customer must "
                "change it right after their next login, before any other page."
            )
        )
    return str(_("Not required"))
