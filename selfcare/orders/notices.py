"""E-mails sent after an application (never with passwords in them)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from selfcare.inventory.models import format_number
from selfcare.orders.models import Application

logger = logging.getLogger(__name__)


def application_notice_send(*, application_id: int) -> None:
    """Tell the customer which numbers were added and that the letter is on its way."""
    application = Application.objects.select_related("customer__user").get(pk=application_id)
    customer = application.customer
    numbers = [format_number(n) for n in application.lines.order_by("number_id").values_list("number_id", flat=True)]
    body = render_to_string(
        "orders/email/application_placed.txt",
        {
            "customer": customer,
            "application": application,
            "numbers": numbers,
            "support_phone": settings.SELFCARE_SUPPORT_PHONE,
        },
    )
    subject = _("050 numbers added (application %(number)s)") % {"number": application.application_number}
    send_mail(subject, body, None, [customer.user.email])
