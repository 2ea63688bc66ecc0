"""The orders' background jobs (enqueued in the transaction of the change; run by the jobs worker)."""

from __future__ import annotations

from django.utils import translation

from selfcare.accounts.models import Customer
from selfcare.jobs import job
from selfcare.jobs.mail import mail_once
from selfcare.orders import notices
from selfcare.orders.models import Application


@job(max_attempts=10, backoff_seconds=60)
def application_notice_send(*, application_id: int, language: str) -> None:
    """E-mail the customer which numbers an application added (never their passwords), once."""
    application = Application.objects.select_related("customer__user").get(pk=application_id)
    numbers = list(application.lines.order_by("number_id").values_list("number_id", flat=True))
    customer = application.customer
    with translation.override(language):
        subject, body = notices.application_notice(
            contract_name=customer.contract_name,
            application_number=application.application_number,
            count=application.count,
            numbers=numbers,
        )
    mail_once(key=f"application-notice:{application.pk}", subject=subject, body=body, to=customer.user.email)


@job(max_attempts=10, backoff_seconds=60)
def sip_password_reissued_notice_send(*, customer_id: int, numbers: list[str], language: str) -> None:
    """E-mail the customer that the customer centre reissued the IP phone passwords of ``numbers`` (never the
    passwords: they go by post), once."""
    customer = Customer.objects.select_related("user").get(pk=customer_id)
    if not customer.user.email:
        return
    with translation.override(language):
        subject, body = notices.sip_password_reissued_notice(contract_name=customer.contract_name, numbers=numbers)
    mail_once(subject=subject, body=body, to=customer.user.email)
