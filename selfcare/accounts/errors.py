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


# Adding numbers (Customer.addition_refusal; raised by orders.services.numbers_add) ---------------


class LimitReached(DomainError):
    code = "limit_reached"
    message = _(
        "This would exceed your addition limit of %(limit)d numbers in total "
        "(cancelled numbers included). You can add %(remaining)d more."
    )


class CustomerSuspended(DomainError):
    code = "customer_suspended"
    message = _("This contract is suspended; numbers cannot be added. Please contact the customer centre.")


# Staff authenticator enrolment codes ------------------------------------------------------------


class StaffUserNotFound(DomainError):
    code = "staff_user_not_found"
    message = _("No active staff user is called %(username)s.")


class StaffAlreadyEnrolled(DomainError):
    code = "staff_already_enrolled"
    message = _(
        "%(username)s already has an authenticator. An enrolment code is only issued together with a reset "
        "of the authenticator."
    )


class EnrolmentCodeWrong(DomainError):
    code = "enrolment_code_wrong"
    message = _("The enrolment code is not correct. Wrong entries left before the code is voided: %(remaining)d.")


class EnrolmentCodeVoidedNow(DomainError):
    code = "enrolment_code_voided_now"
    message = _(
        "The enrolment code is not correct, and after %(attempts)d wrong entries it is now void. "
        "Ask an administrator for a new one."
    )


class EnrolmentCodeExpired(DomainError):
    code = "enrolment_code_expired"
    message = _("This enrolment code has expired. Ask an administrator for a new one.")


class EnrolmentCodeUsed(DomainError):
    code = "enrolment_code_used"
    message = _("This enrolment code has already been used. Ask an administrator for a new one.")


class EnrolmentCodeReplaced(DomainError):
    code = "enrolment_code_replaced"
    message = _("This enrolment code was replaced by a newer one. Enter the newest code you were given.")


class EnrolmentCodeVoided(DomainError):
    code = "enrolment_code_voided"
    message = _("This enrolment code was voided after too many wrong entries. Ask an administrator for a new one.")


class EnrolmentCodeVoidedByReset(DomainError):
    code = "enrolment_code_voided_by_reset"
    message = _(
        "This enrolment code was voided when an authenticator of this account was removed. "
        "Ask an administrator for a new one."
    )


class NoEnrolmentCode(DomainError):
    code = "no_enrolment_code"
    message = _(
        "There is no valid enrolment code for this account. Ask an administrator for one: it is needed "
        "to set up your authenticator."
    )


# The forgotten-password request ---------------------------------------------------------------


class PasswordRequestsTooMany(DomainError):
    code = "password_requests_too_many"
    message = _(
        "Too many requests have come from this connection. Nothing was sent. Please try again in "
        "%(minutes)d minutes, or call the customer centre."
    )
