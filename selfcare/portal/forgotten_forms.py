from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from selfcare.portal.forms import PortalForm


class PasswordForgottenForm(PortalForm):
    selfcare_id = forms.CharField(
        label=_("Self-care ID"),
        help_text=_("Enter your self-care ID."),
        max_length=150,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=_("Registered e-mail address"),
        help_text=_("The address registered at contract, where your verification codes are sent."),
        max_length=254,
        # A text field (the portal's inputs are styled as such) that phones still open with the e-mail keyboard.
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"}),
    )
