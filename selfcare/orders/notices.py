"""E-mails sent after an application (never with passwords in them)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from selfcare.inventory.models import format_number


def application_notice(
    *, contract_name: str, application_number: str, count: int, numbers: list[str]
) -> tuple[str, str]:
    """The subject and body telling the customer which numbers were added and that the letter is on its way."""
    body = render_to_string(
        "orders/email/application_placed.txt",
        {
            "customer": {"contract_name": contract_name},
            "application": {"application_number": application_number, "count": count},
            "numbers": [format_number(n) for n in numbers],
            "support_phone": settings.SELFCARE_SUPPORT_PHONE,
        },
    )
    subject = _("050 numbers added (application %(number)s)") % {"number": application_number}
    return subject, body


def sip_password_reissued_notice(*, contract_name: str, numbers: list[str]) -> tuple[str, str]:
    """The subject and body telling the customer the customer centre reissued their IP phone passwords (which
    come by post, never in the e-mail)."""
    body = render_to_string(
        "orders/email/sip_password_reissued.txt",
        {
            "name": contract_name,
            "numbers": [format_number(n) for n in numbers],
            "carrier": settings.SELFCARE_CARRIER_NAME,
            "support_phone": settings.SELFCARE_SUPPORT_PHONE,
        },
    )
    return str(_("Your IP phone password was reissued")), body
