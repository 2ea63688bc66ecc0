"""Forms of the self-service pages: API keys, webhook endpoints (the services check what they hold)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from selfcare.integrations.keys import MAX_EXPIRY_DAYS, MAX_NAME
from selfcare.integrations.models import EVENTS, SCOPES
from selfcare.integrations.outbound import MAX_URL
from selfcare.portal.forms import PortalForm


class ApiKeyForm(PortalForm):
    name = forms.CharField(
        label=_("Key name"),
        help_text=_("What the key is for, such as the program that will use it."),
        max_length=MAX_NAME,
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the key may do"),
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=["numbers:read"],
    )
    expires_days = forms.IntegerField(
        label=_("Valid for (days)"),
        help_text=_("Leave empty for a key without expiry."),
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5}),
    )
    allowed_networks = forms.CharField(
        label=_("Allowed client addresses"),
        help_text=_("IP addresses or networks, one a line (203.0.113.10, 203.0.113.0/24). Empty: any address."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )


class WebhookForm(PortalForm):
    url = forms.CharField(
        label=_("Endpoint URL"),
        help_text=_("An https:// address on the internet that accepts POST requests."),
        max_length=MAX_URL,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "autocapitalize": "none"}),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=100)
    events = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=list(EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=list(EVENTS),
    )


class ConfirmCodeForm(PortalForm):
    code = forms.CharField(
        label=_("Confirmation code"),
        help_text=_("Enter the 6-digit code from the e-mail."),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
