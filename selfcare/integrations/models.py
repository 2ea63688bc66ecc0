"""What a business customer's programs hold: API keys and webhook endpoints, and each webhook sent.

An API key is stored only as its visible prefix and a keyed hash (HMAC-SHA256 under a server-side
key); a webhook endpoint's signing secret is stored encrypted (``core.crypto``), because each
delivery must be signed with it. Neither is ever shown again after its creation.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from selfcare.accounts.models import Customer

SCOPE_READ = "numbers:read"
SCOPE_ADD = "numbers:add"
SCOPE_REISSUE = "numbers:reissue"
SCOPES: dict[str, Promise] = {
    SCOPE_READ: _("read numbers, applications and limits"),
    SCOPE_ADD: _("add numbers (place applications)"),
    SCOPE_REISSUE: _("reissue IP phone passwords"),
}

EVENT_APPLICATION_COMPLETED = "application.completed"
EVENT_NUMBER_CANCELLED = "number.cancelled"
EVENT_SIP_PASSWORD_REISSUED = "sip_password.reissued"  # noqa: S105 - an event name
EVENTS: dict[str, Promise] = {
    EVENT_APPLICATION_COMPLETED: _("an application is completed (numbers added)"),
    EVENT_NUMBER_CANCELLED: _("a number's cancellation takes effect"),
    EVENT_SIP_PASSWORD_REISSUED: _("an IP phone password is reissued"),
}


class ApiKey(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    allowed_networks = models.JSONField(_("allowed client addresses"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.CharField(_("created by"), max_length=150)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("revoke_apikey", _("Can revoke a customer's API key"))]
        indexes = [models.Index(fields=["customer", "created_at"], name="apikey_customer_idx")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class WebhookEndpoint(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.CharField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=100, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(_("registered"))
    disabled_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["customer", "created_at"], name="webhook_customer_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: one Standard Webhooks message (its ``webhook-id``), tried until delivered."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("given up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("webhook endpoint"), on_delete=models.PROTECT, related_name="deliveries"
    )
    message_id = models.CharField(_("message id"), max_length=40, unique=True)
    event_type = models.CharField(_("event"), max_length=40)
    event_key = models.CharField(max_length=100)
    payload = models.JSONField()
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("occurred"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        constraints = [
            # An event is sent to an endpoint once, however often it is announced.
            models.UniqueConstraint(fields=["endpoint", "event_key"], name="webhook_event_once_per_endpoint"),
        ]
        indexes = [models.Index(fields=["endpoint", "created_at"], name="webhook_delivery_endpoint_idx")]

    def __str__(self) -> str:
        return self.message_id


class WebhookAttempt(models.Model):
    """One try at sending a delivery, as the customer sees it on the portal."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True)
    outcome = models.CharField(max_length=32)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once")]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}"
