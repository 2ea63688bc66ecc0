from __future__ import annotations

import re
import unicodedata

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from selfcare.accounts import login as login_steps
from selfcare.accounts.login_errors import TooManyAttempts
from selfcare.orders.errors import BadCount
from selfcare.orders.parsing import count_limits, parse_count


class PortalForm(forms.Form):
    """Labels as the manual prints them: no trailing colon."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SelfcareIdForm(PortalForm):
    """A form that starts with the self-care ID, as the login and the forgotten-password pages do."""

    selfcare_id = forms.CharField(
        label=_("Self-care ID"),
        help_text=_("Enter your self-care ID."),
        max_length=150,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


class LoginForm(SelfcareIdForm):
    password = forms.CharField(
        label=_("Self-care password"),
        help_text=_("Enter your self-care password."),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordForgottenForm(SelfcareIdForm):
    email = forms.EmailField(
        label=_("Registered e-mail address"),
        help_text=_("The address registered at contract, where your verification codes are sent."),
        max_length=254,
        # A text field (the portal's inputs are styled as such) that phones still open with the e-mail keyboard.
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"}),
    )


class CodeForm(PortalForm):
    code = forms.CharField(
        label=_("Verification code"),
        help_text=_("Enter the 6-digit code from the e-mail."),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self) -> str:
        """Six digits (full-width and spaces allowed); anything else is a typing slip, refused here without
        counting as a wrong code."""
        typed = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", self.cleaned_data["code"]))
        if not re.fullmatch(r"[0-9]{6}", typed, flags=re.ASCII):
            raise forms.ValidationError(_("Enter the 6 digits of the code from the e-mail."))
        return typed


class CountForm(PortalForm):
    count = forms.CharField(
        label=_("Numbers to add"),
        help_text=_("Enter the number of numbers to add."),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 4}),
    )

    def __init__(self, *args, maximum: int | None = None, **kwargs):  # type: ignore[no-untyped-def]
        """``maximum``: the most this customer may add now (fewer than per application when little remains)."""
        super().__init__(*args, **kwargs)
        minimum, per_application = count_limits()
        self.maximum = per_application if maximum is None else max(min(maximum, per_application), minimum)
        # Nothing typed is answered as any other bad count: with the range, not Django's generic 必須.
        for refusal in ("required", "max_length"):
            self.fields["count"].error_messages[refusal] = str(BadCount(minimum=minimum, maximum=self.maximum))

    def clean_count(self) -> int:
        minimum, _per_application = count_limits()
        try:
            count = parse_count(self.cleaned_data["count"])
        except BadCount as exc:
            raise forms.ValidationError(str(BadCount(minimum=minimum, maximum=self.maximum)), code=exc.code) from None
        return count

    @staticmethod
    def limits() -> tuple[int, int]:
        return count_limits()


class TokenForm(forms.Form):
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)


# What the password validators (settings.AUTH_PASSWORD_VALIDATORS) refuse, in the customer's words.
PASSWORD_RULES = [
    _("15 to 128 characters; any characters may be used (letters, digits, symbols, spaces, Japanese)."),
    _("Not a commonly used password."),
    _("Not too similar to your self-care ID or e-mail address."),
    _(
        "Less than half of it may be a repeated or sequential pattern (aaaa, 1234, abcabc, qwerty), your self-care "
        "ID, your e-mail address or a commonly used password."
    ),
]


class PasswordForm(PasswordChangeForm):
    """Django's password change with the portal's labels (no colons) and plain wording."""

    # Django's own message names another password than the label 現在のパスワード above it.
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("Your current password was entered incorrectly. Enter it again."),
    }

    def __init__(self, user, *args, ip: str | None = None, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("label_suffix", "")
        super().__init__(user, *args, **kwargs)
        self.ip = ip
        self.fields["old_password"].label = _("Current password")
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password1"].help_text = format_html(
            '<ul class="rules">{}</ul>', format_html_join("", "<li>{}</li>", ((rule,) for rule in PASSWORD_RULES))
        )
        self.fields["new_password2"].label = _("New password (again)")
        self.fields["new_password2"].help_text = _("Enter the new password once more.")

    @sensitive_variables()
    def clean_old_password(self) -> str:
        """The current password is checked as a login is: counted, locked, throttled and audited."""
        old_password = self.cleaned_data["old_password"]
        try:
            right = login_steps.current_password_check(user_id=self.user.pk, password=old_password, ip=self.ip)
        except TooManyAttempts as refusal:
            raise ValidationError(str(refusal), code="throttled") from None
        if not right:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password

    def add_error(self, field, error):  # type: ignore[no-untyped-def]
        if isinstance(error, ValidationError) and hasattr(error, "error_list"):
            error = ValidationError([self._plain(item) for item in error.error_list])
        super().add_error(field, error)

    @staticmethod
    def _plain(error: ValidationError) -> ValidationError:
        if error.code == "password_too_short":
            return ValidationError(
                _("This password is too short. Use at least %(min_length)d characters."),
                code=error.code,
                params=error.params,
            )
        if error.code == "password_too_similar":  # Django names the field: ユーザー名, not the self-care ID
            return ValidationError(
                _("This password is too similar to your self-care ID or e-mail address."), code=error.code
            )
        return error
