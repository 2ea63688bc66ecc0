from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class LoginRefused(DomainError):
    code = "login_refused"
    # One answer for an unknown ID, a wrong password and a paused account (rules.md, *lockout*): it names
    # both causes as possibilities, never one as a fact.
    message = _(
        "You could not log in. Either the self-care ID or password is wrong, "
        "or logins are paused for a while after repeated failures."
    )


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    message = _("Too many attempts from your network. Please wait %(minutes)d minutes and try again.")


class CodeWrong(DomainError):
    code = "code_wrong"
    message = _("The verification code is not correct. %(remaining)d attempts remain for this code.")


class CodeNoLongerValid(DomainError):
    code = "code_no_longer_valid"
    message = _("This verification code is no longer valid. Please request a new code.")


class CodeResendTooSoon(DomainError):
    code = "code_resend_too_soon"
    message = _("A new code can be sent in %(seconds)d seconds.")


class CodeLimitReached(DomainError):
    code = "code_limit_reached"
    message = _("Five codes have been sent in the last hour. Please wait a while before asking for another.")


class LoginStepExpired(DomainError):
    code = "login_step_expired"
    message = _("More than 10 minutes passed since you entered your password. Please log in again.")


class CodeNotSent(DomainError):
    code = "code_not_sent"
    message = _("The verification code could not be e-mailed just now. Please try again in a minute.")
