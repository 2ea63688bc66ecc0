"""The accounts' background jobs: the notices e-mailed to a customer's registered address.

Each is enqueued in the transaction of the change it tells about and renders its e-mail when it
runs (from ids: a job's arguments are stored, so none is ever a secret). The login code is the
one e-mail not sent by a job: it is a secret, and the customer is waiting for it on the screen.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from selfcare.accounts.models import Customer, User
from selfcare.jobs import job
from selfcare.jobs.mail import mail_once


@job(max_attempts=10, backoff_seconds=60)
def password_changed_notice_send(*, customer_id: int, language: str, letter_stopped: str = "") -> None:
    """Tell the customer their password changed and, when a forgotten-password letter was waiting with its own
    password, what became of it (``letter_stopped``: "withdrawn" or "posted", as accounts.services says)."""
    customer = Customer.objects.select_related("user").get(pk=customer_id)
    with translation.override(language):
        body = render_to_string(
            "accounts/email/password_changed.txt",
            {"customer": customer, "support_phone": settings.SELFCARE_SUPPORT_PHONE, "letter_stopped": letter_stopped},
        )
        subject = str(_("Your self-care password was changed"))
    mail_once(subject=subject, body=body, to=customer.user.email)


@job(max_attempts=10, backoff_seconds=60)
def account_locked_notice_send(*, user_id: int, until: str, language: str) -> None:
    """Tell a customer their logins are paused (no password, no code in it)."""
    user = User.objects.select_related("customer").get(pk=user_id)
    customer = getattr(user, "customer", None)
    if customer is None or user.is_staff or not user.email:
        return
    context = {
        "name": customer.contract_name,
        "until": dt.datetime.fromisoformat(until),
        "carrier": settings.SELFCARE_CARRIER_NAME,
        "support_phone": settings.SELFCARE_SUPPORT_PHONE,
    }
    with translation.override(language):
        subject = render_to_string("accounts/email/account_locked_subject.txt", context).strip()
        body = render_to_string("accounts/email/account_locked.txt", context)
    mail_once(subject=subject, body=body, to=user.email)


@job(max_attempts=10, backoff_seconds=60)
def password_forgotten_notice_send(*, customer_id: int, language: str) -> None:
    """Tell the customer a letter with a new password is on its way (the password only goes on paper)."""
    customer = Customer.objects.select_related("user").get(pk=customer_id)
    context = {
        "name": customer.contract_name,
        "carrier": settings.SELFCARE_CARRIER_NAME,
        "support_phone": settings.SELFCARE_SUPPORT_PHONE,
    }
    with translation.override(language):
        subject = render_to_string("accounts/email/password_forgotten_subject.txt", context).strip()
        body = render_to_string("accounts/email/password_forgotten.txt", context)
    mail_once(subject=subject, body=body, to=customer.user.email)
