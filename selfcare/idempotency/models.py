from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from selfcare.accounts.models import Customer


class IdempotencyRecord(models.Model):
    """One request that changes something, by the key its sender chose: done once, answered alike on every repeat.

    The portal's confirmation token and the business API's ``Idempotency-Key`` header are both such
    keys (``selfcare.idempotency.services.request_once``). The stored answer never holds a secret:
    passwords stay in their own encrypted columns and are added to an answer while their display
    window lasts (docs/api.md, *Idempotency*).
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("in flight")
        DONE = "done", _("done")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=64)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    owner = models.CharField(max_length=32)
    lease_until = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(_("received"), db_index=True)
    completed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="idempotency_key_once_per_customer"),
            models.CheckConstraint(
                condition=models.Q(state="in_flight") | models.Q(response_status__isnull=False),
                name="idempotency_done_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.key}"
