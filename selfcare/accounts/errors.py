from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class CustomerNotFound(DomainError):
    code = "customer_not_found"
    message = _("No customer has the self-care ID %(selfcare_id)s.")


class SelfcareIdTaken(DomainError):
    code = "selfcare_id_taken"
    message = _("The self-care ID %(selfcare_id)s is already in use.")


class PlanNotFound(DomainError):
    code = "plan_not_found"
    message = _("No plan has the code %(code)s.")


class BadLimit(DomainError):
    code = "bad_limit"
    message = _("The addition limit must be a whole number from 0 to %(maximum)d.")


class LimitBelowUsage(DomainError):
    code = "limit_below_usage"
    message = _(
        "The addition limit cannot be lower than the %(numbers_added)d numbers this customer has already added."
    )
