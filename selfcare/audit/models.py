from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One state change: who, what, when, from where. Written once, never changed.

    The log names its customer and user by foreign key (Django resolves ``accounts.Customer`` by name:
    no import). The table keeps the name it was created with, ``core_auditentry``.
    """

    class ActorKind(models.TextChoices):
        CUSTOMER = "customer", _("customer")
        STAFF = "staff", _("staff")
        SYSTEM = "system", _("system")

    at = models.DateTimeField(_("when"), db_index=True)
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=150)
    ip_address = models.GenericIPAddressField(_("from"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64)
    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    target = models.CharField(_("target"), max_length=128, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        db_table = "core_auditentry"
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "at"], name="audit_customer_at_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise PermissionError("Audit entries are written once and never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("Audit entries are never deleted.")
