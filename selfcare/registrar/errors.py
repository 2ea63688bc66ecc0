from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class RegistrarNotConfigured(DomainError):
    code = "registrar_not_configured"
    message = _("SELFCARE_REGISTRAR_CTL is not set, so the registrar cannot be told to drop registrations.")
