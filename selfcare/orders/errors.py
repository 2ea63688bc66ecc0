from django.utils.translation import gettext_lazy as _

from selfcare.accounts.errors import CustomerSuspended, LimitReached
from selfcare.core.errors import DomainError

# The addition rule is the customer's (Customer.addition_refusal); its refusals live in accounts.
__all__ = [
    "BadCancellationDates",
    "BadCount",
    "CancellationBeforeIssue",
    "CancellationTooLate",
    "CustomerSuspended",
    "FormReceivedBeforeIssue",
    "FormReceivedBeforeIssues",
    "LimitReached",
    "NothingToCancel",
    "NumbersNotCancellable",
    "NumbersNotHeld",
    "NumbersOfSeveralCustomers",
    "PoolShort",
]


class BadCount(DomainError):
    code = "bad_count"
    message = _("Enter the number of numbers to add as a whole number from %(minimum)d to %(maximum)d.")


class PoolShort(DomainError):
    code = "pool_short"
    message = _(
        "There are not enough 050 numbers available right now to add %(requested)d. "
        "Nothing was added. Please try again later or contact the customer centre."
    )


class NumbersNotHeld(DomainError):
    code = "numbers_not_held"
    message = _("These numbers are not held by the customer (or are already cancelled): %(numbers)s")


class NumbersOfSeveralCustomers(DomainError):
    code = "numbers_of_several_customers"
    message = _("One cancellation form covers one customer, but these numbers belong to several: %(numbers)s")


class CancellationTooLate(DomainError):
    code = "cancellation_too_late"
    message = _("A cancellation cannot take effect after %(last)s: its quarantine would end beyond the calendar.")


class BadCancellationDates(DomainError):
    code = "bad_cancellation_dates"
    message = _(
        "The cancellation cannot take effect (%(effective_on)s) before the form was received (%(received_on)s)."
    )


class NothingToCancel(DomainError):
    code = "nothing_to_cancel"
    message = _("Name at least one number to cancel.")


class CancellationBeforeIssue(DomainError):
    code = "cancellation_before_issue"
    message = _("%(number)s was issued on %(issued_on)s; its cancellation cannot take effect before that day.")


class FormReceivedBeforeIssue(DomainError):
    """rules.md, *cancellation*: a form received before a number was issued cannot be for that number."""

    code = "form_received_before_issue"
    message = _(
        "%(number)s was issued on %(issued_on)s, after the form was received (%(received_on)s): "
        "a form received before a number was issued cannot cancel it. "
        "Check the date received and the numbers against the paper form."
    )


class FormReceivedBeforeIssues(FormReceivedBeforeIssue):
    """The same refusal naming every number issued after the form was received, each with its issue day."""

    message = _(
        "These numbers were issued after the form was received (%(received_on)s): %(numbers)s. "
        "A form received before a number was issued cannot cancel it. "
        "Check the date received and the numbers against the paper form."
    )


class NumbersNotCancellable(NumbersNotHeld):
    """NumbersNotHeld saying, for each number, why: already cancelled (from when) or not this customer's."""

    message = _("These numbers cannot be cancelled for this customer: %(numbers)s")


def number_issued_on(number: str, issued_on: str) -> str:
    return str(_("%(number)s (issued %(issued_on)s)") % {"number": number, "issued_on": issued_on})


def number_already_cancelled(number: str, effective_on: str) -> str:
    return str(_("%(number)s (already cancelled, from %(day)s)") % {"number": number, "day": effective_on})


def number_not_theirs(number: str) -> str:
    return str(_("%(number)s (not this customer's number)") % {"number": number})


class LineNotFound(DomainError):
    code = "line_not_found"
    message = _("No such issued line: %(line_id)s")


class LineNotLive(DomainError):
    code = "line_not_live"
    message = _(
        "The cancellation of %(number)s took effect on %(cancelled_on)s: its IP phone password cannot be reissued."
    )


class ReissueTooMany(DomainError):
    code = "reissue_too_many"
    message = _(
        "At most %(maximum)d lines at a time: %(count)d were selected. Nothing was reissued. Select fewer lines."
    )


class ReissueOfSeveralCustomers(DomainError):
    code = "reissue_of_several_customers"
    message = _(
        "The selected lines belong to %(count)d customers (%(customers)s). Reissue one customer's phones at a time: "
        "each customer is told and sets up their own phones again. Nothing was reissued."
    )
