"""What each stored audit action code means, in the staff member's language (the code itself stays as stored)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTION_LABELS: dict[str, Promise] = {
    "api_key.created": _("API key made"),
    "api_key.revoked": _("API key revoked"),
    "fresh_code.sent": _("Confirmation code e-mailed"),
    "fresh_code.failed": _("Confirmation code entered wrongly"),
    "webhook.registered": _("Webhook endpoint registered"),
    "webhook.removed": _("Webhook endpoint removed"),
    "webhook.secret_rotated": _("Webhook signing secret replaced"),
    "application.placed": _("Numbers added (application placed)"),
    "application.refused": _("Application refused"),
    "billing.exported": _("Billing exported"),
    "credentials.rotated": _("Stored passwords re-encrypted"),
    "customer.changed": _("Customer details changed"),
    "customer.created": pgettext_lazy("audit action", "Customer created"),  # a noun phrase, not the page's sentence
    "customer.limit_changed": _("Addition limit changed"),
    "customer.password_changed": _("Customer changed their password"),
    "customer.password_forgotten": _("Forgotten-password request received"),
    "customer.password_letter_queued": _("New initial password queued on a letter"),
    "customer.password_letter_used": _("New initial password from a letter used: the old password stopped"),
    "customer.password_reset": _("Customer password reset"),
    "customer.status_changed": _("Contract suspended or reactivated"),
    "customer.unlocked": _("Customer login unlocked"),
    "inventory.imported": _("Numbers imported"),
    "job.retried": _("Failed background job run again"),
    "letter.posted": _("Letter posted"),
    "letter.pdf_made": _("Letter PDF made (not yet recorded as printed)"),
    "letter.printed": _("Letter printed"),
    "letter.reprinted": _("Letter printed again"),
    "login.code_sent": _("Login code e-mailed"),
    "login.failed": _("Customer login failed"),
    "login.password_ok": _("Customer password accepted"),
    "login.succeeded": _("Customer logged in"),
    "logout": _("Customer logged out"),
    "numbers.cancelled": _("Paper cancellation recorded"),
    "registrar.registrations_dropped": _("Phone registrations dropped"),
    "secrets.superseded": _("Letters with an old password withdrawn or blanked"),
    "secrets.purged": _("Stored passwords destroyed"),
    "sip_password.reissued": _("IP phone password of a line reissued"),
    "staff.authenticator_reset": _("Staff authenticator removed"),
    "staff.enrolment_code_issued": _("Staff enrolment code issued"),
    "staff.enrolment_code_used": _("Staff enrolment code used"),
    "staff.enrolment_code_voided": _("Staff enrolment code voided"),
    "staff.login": _("Staff logged in"),
    "staff.login_failed": _("Staff login failed"),
    "staff.otp_enrolled": _("Staff authenticator set up"),
    "plan.created": _("Plan created"),
    "plan.changed": _("Plan changed"),
    "user.created": _("Staff account created"),
    "user.changed": _("Staff account changed"),
    "group.created": _("Role created"),
    "group.changed": _("Role changed"),
}


# One stored code, told apart by its detail: a suspension and a reactivation read differently in the trail.
DETAIL_LABELS: dict[tuple[str, str, str], Promise] = {
    ("customer.status_changed", "to", "suspended"): _("Contract suspended"),
    ("customer.status_changed", "to", "active"): _("Contract suspension lifted"),
}


def action_label(code: str, detail: object = None) -> str:
    """The label of ``code`` (made precise by the entry's ``detail`` where one code covers two actions), or the
    code itself for an action this list does not know yet."""
    if isinstance(detail, dict):
        for (labelled, key, value), precise in DETAIL_LABELS.items():
            if labelled == code and detail.get(key) == value:
                return str(precise)
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
