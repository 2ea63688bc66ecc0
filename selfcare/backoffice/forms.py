from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.hashers import make_password
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from selfcare.accounts.login import staff_login_blocked, staff_password_accepted, staff_password_refused
from selfcare.accounts.models import Customer, Plan
from selfcare.accounts.selectors import customers_find
from selfcare.backoffice.search import Kind, recognise
from selfcare.core import clock
from selfcare.inventory.errors import BadNumber
from selfcare.inventory.services import parse_number

_HYPHENS = re.compile(r"[‐‑‒–—―ー−]")
ADDRESS_HELP = _("Letters with the numbers and their passwords are posted to this address.")


def normalise_postal_code(typed: str) -> str:
    """１２３－４５６７, 〒1234567 or 123ー4567 -> 123-4567; anything else is a field error."""
    text = _HYPHENS.sub("-", unicodedata.normalize("NFKC", typed)).strip().removeprefix("〒").strip()
    if not re.fullmatch(r"[0-9]{3}-?[0-9]{4}", text, flags=re.ASCII):
        raise forms.ValidationError(_("Enter the postal code as 7 digits, for example 123-4567."))
    digits = text.replace("-", "")
    return f"{digits[:3]}-{digits[3:]}"


class CustomerCreateForm(forms.Form):
    selfcare_id = forms.CharField(label=_("Self-care ID"), max_length=32)
    email = forms.EmailField(label=_("registered e-mail"))
    contract_name = forms.CharField(label=_("contract name"), max_length=200)
    postal_code = forms.CharField(label=_("postal code"), max_length=20, help_text=_("For example 123-4567."))
    address = forms.CharField(label=_("contract address"), max_length=300, help_text=ADDRESS_HELP)
    plan = forms.ModelChoiceField(label=_("plan"), queryset=Plan.objects.filter(is_active=True))
    addition_limit = forms.IntegerField(label=_("addition limit"), min_value=0, max_value=100_000, required=False)

    def clean_postal_code(self) -> str:
        return normalise_postal_code(self.cleaned_data["postal_code"])


class CustomerChangeForm(forms.ModelForm):
    email = forms.EmailField(label=_("registered e-mail"))

    class Meta:
        model = Customer
        fields = ["contract_name", "postal_code", "address", "plan", "addition_limit", "status"]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
        if "postal_code" not in self.fields:  # a read-only view of the customer
            return
        # The letters carrying passwords go to this address: none may be queued without one.
        for name in ("postal_code", "address"):
            self.fields[name].required = True
        # Typed full-width or with 〒 it is longer than what is stored; clean_postal_code checks it.
        self.fields["postal_code"].validators = []
        self.fields["postal_code"].widget.attrs["maxlength"] = "20"
        self.fields["postal_code"].help_text = _("For example 123-4567.")
        self.fields["address"].help_text = ADDRESS_HELP

    def clean_postal_code(self) -> str:
        return normalise_postal_code(self.cleaned_data["postal_code"])

    def clean_addition_limit(self) -> int:
        limit = self.cleaned_data["addition_limit"]
        if self.instance.pk and limit < self.instance.numbers_added:
            raise forms.ValidationError(
                _("The limit cannot be lower than the %(added)d numbers already added."),
                params={"added": self.instance.numbers_added},
            )
        return limit


def _parse_numbers(text: str) -> list[str]:
    numbers, bad = [], []
    for raw in text.replace(",", "\n").split():
        try:
            numbers.append(parse_number(raw))
        except BadNumber:
            bad.append(raw[:20])
    if bad:
        raise forms.ValidationError(_("Not 050 numbers: %(bad)s"), params={"bad": ", ".join(bad)})
    if not numbers:
        raise forms.ValidationError(_("Enter at least one number."))
    return sorted(set(numbers))


def _last_effective_day() -> dt.date:
    """The last day a cancellation can take effect: its number's quarantine must end within the calendar."""
    return clock.add_months(dt.date.max, -settings.SELFCARE_QUARANTINE_MONTHS)


class CancellationForm(forms.Form):
    customer = forms.CharField(
        label=_("customer"),
        max_length=200,
        help_text=_("The self-care ID, the contract name (or part of it) or one of the customer's 050 numbers."),
    )
    numbers = forms.CharField(
        label=_("numbers to cancel"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One or more 050 numbers, separated by spaces, commas or new lines."),
    )
    received_on = forms.DateField(
        label=_("form received"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MaxValueValidator(_last_effective_day)],  # taking effect that day when no other is given
    )
    effective_on = forms.DateField(
        # rules.md, *cancellation*: the number stops working on this day, not at its end.
        label=_("cancellation takes effect (the number stops working that day)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MaxValueValidator(_last_effective_day)],
        required=False,
        help_text=_("Leave empty for the day the form was received. The last day of use is the day before."),
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    MATCHES_SHOWN = 10
    matches: tuple[Customer, ...] = ()  # set when what was typed matches several customers
    more_matches = False
    chosen: Customer | None = None

    def clean_customer(self) -> Customer:
        typed = self.cleaned_data["customer"].replace("\x00", "")
        term = recognise(typed)  # as the lists' search boxes read it
        number = term.text if term.kind is Kind.NUMBER else None
        limit = self.MATCHES_SHOWN + 1  # one more than shown: to say that there are more
        found = customers_find(term=typed, number=number, limit=limit)
        if not found and number is not None:  # digits that are no held number may still be a self-care ID
            found = customers_find(term=typed, limit=limit)
        if not found:
            raise forms.ValidationError(_("No customer matches %(term)s."), params={"term": typed.strip()[:50]})
        if len(found) > 1:
            # Listed under the field to be picked (the rest of the form kept), not named in a message to retype.
            self.matches = tuple(
                found[: self.MATCHES_SHOWN]
            )  # still listed, the pick checked, if another field is wrong
            self.more_matches = len(found) > self.MATCHES_SHOWN
            chosen = [customer for customer in self.matches if str(customer.pk) == self.data.get("customer_choice")]
            if chosen:
                self.chosen = chosen[0]
                return chosen[0]
            raise forms.ValidationError(
                _("Several customers match “%(term)s”: choose the one on the paper form below, then check again."),
                params={"term": typed.strip()[:50]},
            )
        return found[0]

    def clean_numbers(self) -> list[str]:
        return _parse_numbers(self.cleaned_data["numbers"])

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean() or {}
        if data.get("received_on") and not data.get("effective_on"):
            data["effective_on"] = data["received_on"]
        return data


class ImportForm(forms.Form):
    first = forms.CharField(label=_("first number"), required=False, max_length=20)
    last = forms.CharField(label=_("last number"), required=False, max_length=20)
    csv_file = forms.FileField(label=_("or a CSV file"), required=False, help_text=_("Numbers in the first column."))
    available_from = forms.DateField(
        label=_("available from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for today."),
    )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean() or {}
        has_range = bool(data.get("first") or data.get("last"))
        if has_range == bool(data.get("csv_file")):
            raise forms.ValidationError(_("Give either a range (first and last number) or a CSV file."))
        if has_range and not (data.get("first") and data.get("last")):
            raise forms.ValidationError(_("A range needs both its first and its last number."))
        return data


class ReprintForm(forms.Form):
    reason = forms.CharField(label=_("reason for printing again"), max_length=300)


def last_month() -> dt.date:
    """The first day of the month before the carrier's current one: the month usually billed."""
    return clock.add_months(clock.today().replace(day=1), -1)


class BillingForm(forms.Form):
    SYSTEM, EXCEL = "system", "excel"

    month = forms.DateField(
        label=_("month"),
        input_formats=["%Y-%m"],
        initial=last_month,
        widget=forms.DateInput(format="%Y-%m", attrs={"type": "month"}),
    )
    layout = forms.ChoiceField(
        label=_("file for"),
        choices=[
            (SYSTEM, _("the billing system (UTF-8, numbers as 11 digits)")),
            (EXCEL, _("Excel (UTF-8 with BOM, numbers as 050-1234-5678 so the leading 0 stays)")),
        ],
        initial=SYSTEM,
        required=False,  # none chosen: the billing system's file
        widget=forms.RadioSelect,
        help_text=_(
            "Excel turns 05012345678 into the number 5012345678; written 050-1234-5678 it stays text. "
            "Dates still become Excel dates, and a self-care ID of digits only loses its leading zeros there."
        ),
    )

    def clean_month(self) -> dt.date:
        """A month is exported once it is over (rules.md, *monthly fee*): the export counts every number held to the
        month's end, so a month not yet over would bill numbers for days still to come, cancellations not yet
        received included."""
        month: dt.date = self.cleaned_data["month"]
        this_month = clock.today().replace(day=1)
        if month >= this_month:
            raise forms.ValidationError(
                _(
                    "%(month)s is not over yet: its figures would assume every number stays held to its end. "
                    "Billing of a month can be exported from the 1st of the next month."
                ),
                code="month_not_over",
                params={"month": f"{month:%Y-%m}"},
            )
        return month

    def clean_layout(self) -> str:
        return self.cleaned_data.get("layout") or self.SYSTEM


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The staff password step: throttled per IP, locked after repeated failures, every failure audited."""

    @sensitive_variables()
    def clean(self):  # type: ignore[no-untyped-def]
        username = self.cleaned_data.get("username") or ""
        ip = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
        if staff_login_blocked(username=username, ip=ip):
            make_password(self.cleaned_data.get("password") or "")  # as slow as a checked password
            staff_password_refused(username=username, ip=ip)
            raise self.get_invalid_login_error()
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            staff_password_refused(username=username, ip=ip)
            raise
        staff_password_accepted(ip=ip)
        return cleaned
