"""Forms of the self-service pages: API keys, webhook endpoints (the services check what they hold)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError
from selfcare.integrations.keys import MAX_EXPIRY_DAYS, MAX_NAME, MAX_NETWORKS, networks_parse, scopes_check
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

    def clean_scopes(self) -> list[str]:
        try:
            return scopes_check(self.cleaned_data["scopes"])
        except DomainError as refusal:
            raise ValidationError(str(refusal)) from None

    def clean_allowed_networks(self) -> list[str]:
        """Every line that is not an address or network is named at the field, not only the first."""
        networks: list[str] = []
        bad: list[str] = []
        for item in re.split(r"[\s,]+", self.cleaned_data["allowed_networks"]):
            if not item:
                continue
            try:
                networks.extend(n for n in networks_parse([item]) if n not in networks)
            except DomainError as refusal:
                bad.append(str(refusal))
        if bad:
            raise ValidationError(bad)
        if len(networks) > MAX_NETWORKS:
            raise ValidationError(
                _("At most %(maximum)d addresses or networks can be given.") % {"maximum": MAX_NETWORKS}
            )
        return networks


class WebhookForm(PortalForm):
    url = forms.CharField(
        label=_("Endpoint URL"),
        help_text=_(
            "Only an https:// address on the public internet can be registered (not a private or local "
            "address); it must accept POST requests."
        ),
        max_length=MAX_URL,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "autocapitalize": "none"}),
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        help_text=_("A note for yourself, such as what the server is."),
        required=False,
        max_length=100,
    )
    events = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=list(EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=list(EVENTS),
    )


class ConfirmCodeForm(PortalForm):
    code = forms.CharField(
        label=_("Verification code"),
        help_text=_("Enter the 6-digit code from the e-mail."),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
