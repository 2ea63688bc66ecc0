from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class LineNotFound(DomainError):
    code = "line_not_found"
    message = _("No such issued line: %(line_id)s")


class LineNotLive(DomainError):
    code = "line_not_live"
    message = _(
        "The cancellation of %(number)s took effect on %(cancelled_on)s: its IP phone password cannot be reissued."
    )


class RegistrarNotConfigured(DomainError):
    code = "registrar_not_configured"
    message = _("SELFCARE_REGISTRAR_CTL is not set, so the registrar cannot be told to drop registrations.")
