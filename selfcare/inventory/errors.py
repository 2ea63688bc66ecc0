from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class BadNumber(DomainError):
    code = "bad_number"
    message = _("%(value)r is not a 050 number (11 digits starting with 050).")


class BadRange(DomainError):
    code = "bad_range"
    message = _("The range %(first)s to %(last)s is empty: the first number must not be after the last.")


class RangeTooLarge(DomainError):
    code = "range_too_large"
    message = _("The range holds %(size)d numbers; at most %(maximum)d can be imported at once.")


class BadCsv(DomainError):
    code = "bad_csv"
    message = _("Line %(line)d of the CSV file: %(problem)s")


class BadCsvRows(DomainError):
    """Every bad row of a CSV file (up to ``BAD_ROWS_SHOWN``), so one upload shows all that needs fixing."""

    code = "bad_csv_rows"
    message = _("The CSV file has rows that are not 050 numbers: %(rows)s%(more)s")


BAD_ROWS_MORE = _("…and %(n)d more rows that are not 050 numbers.")
