from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class NoLettersSelected(DomainError):
    code = "no_letters_selected"
    message = _("Select at least one letter.")


class LettersNotFound(DomainError):
    code = "letters_not_found"
    message = _("No such letters: %(ids)s")


class ReprintNeedsReason(DomainError):
    code = "reprint_needs_reason"
    message = _(
        "These letters have been printed before: %(ids)s. Printing them again puts the passwords on paper "
        "again, so give the reason for the reprint."
    )


class LetterNotPrinted(DomainError):
    code = "letter_not_printed"
    message = _("These letters have never been printed, so they cannot have been posted: %(ids)s.")


class SecretsUnreadable(DomainError):
    code = "secrets_unreadable"
    message = _(
        "The passwords for letter %(letter_id)d cannot be decrypted with the keys in SELFCARE_ENCRYPTION_KEYS. "
        "Nothing was printed."
    )


class LetterWithoutAddress(DomainError):
    code = "letter_without_address"
    message = _(
        "Letter %(letter_id)d to %(name)s has no postal code or address, so it cannot be posted. Nothing was "
        "printed. Enter the customer's postal code and contract address on the customer's page, then print again."
    )


class LetterWithdrawn(DomainError):
    code = "letter_withdrawn"
    message = _(
        "Posting of these letters was stopped, because the password they carry no longer works: %(ids)s. "
        "Do not print or post them; shred any printed copy."
    )
