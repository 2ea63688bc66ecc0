from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class ApplicationNotFound(DomainError):
    code = "application_not_found"
    message = _("This contract has no application with that number.")


class NumberNotFound(DomainError):
    code = "number_not_found"
    message = _("This contract does not hold that number.")
