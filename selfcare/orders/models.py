from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from selfcare.accounts.models import Customer
from selfcare.core import clock, crypto
from selfcare.inventory.models import PhoneNumber


class Application(models.Model):
    """One 050番号追加申込: all its lines exist, or none (invariant 3)."""

    application_number = models.CharField(_("application number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="applications"
    )
    count = models.PositiveSmallIntegerField(_("numbers added"))
    monthly_fee_per_number = models.PositiveIntegerField(_("monthly fee per number (yen)"))
    plan_code = models.CharField(_("plan at the time"), max_length=32)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    placed_at = models.DateTimeField(_("placed"))

    class Meta:
        permissions = [("export_billing", _("Can export billing data"))]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-placed_at", "-id"]
        constraints = [
            # Invariant 4: the same 実行 twice can never make a second application.
            models.UniqueConstraint(fields=["customer", "idempotency_key"], name="application_idempotency_key_once"),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="application_count_positive"),
        ]
        indexes = [
            models.Index(fields=["customer", "placed_at"], name="application_customer_idx"),
            # The list's order, and the dashboard's applications and numbers added by day and week: with the
            # count in the index, PostgreSQL sums weeks of applications without reading their rows.
            models.Index(fields=["placed_at"], include=["count"], name="application_placed_idx"),
        ]

    def __str__(self) -> str:
        return self.application_number

    @property
    def monthly_fee_total(self) -> int:
        return self.count * self.monthly_fee_per_number


class Cancellation(models.Model):
    """A paper cancellation form (書面での解約) as recorded by staff."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="cancellations"
    )
    received_on = models.DateField(_("form received"))
    effective_on = models.DateField(_("cancellation takes effect"))
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("paper cancellation")
        verbose_name_plural = _("paper cancellations")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["recorded_at", "id"], name="cancellation_recorded_idx")]  # the list's order
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_on__gte=models.F("received_on")),
                name="cancellation_effective_after_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.selfcare_id} {self.effective_on:%Y-%m-%d}"

    @property
    def last_day_in_use(self) -> dt.date:
        """The day before the cancellation takes effect: its numbers stop working on the effective day itself."""
        return self.effective_on - dt.timedelta(days=1)


class IssuedLineQuerySet(models.QuerySet["IssuedLine"]):
    def live(self) -> IssuedLineQuerySet:
        """Lines whose number the customer still holds today (cancellation not yet in effect)."""
        return self.filter(models.Q(cancellation__isnull=True) | models.Q(cancelled_on__gt=clock.today()))

    def not_cancelled(self) -> IssuedLineQuerySet:
        return self.filter(cancellation__isnull=True)


class IssuedLine(models.Model):
    """A number held by a customer, from issue to cancellation; the history of each number's owners.

    The two credentials are stored only encrypted (invariant 6) and are
    destroyed some time after the letter carrying them was posted. What the
    SIP registrar needs to check the IP phone password is kept apart: its
    HA1 digests, computed from the clear password when it is issued (never
    the password itself). A digest is a password equivalent for SIP: it is
    never shown, logged or audited, only the registrar's read-only view
    exposes it, and it is forgotten once the cancellation has taken effect.
    """

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="lines"
    )
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="lines")
    number = models.ForeignKey(
        PhoneNumber, verbose_name=_("050 number"), on_delete=models.PROTECT, related_name="lines", db_column="number"
    )
    issued_at = models.DateTimeField(_("issued"))
    service_pin_encrypted = models.TextField(_("additional service password (encrypted)"), blank=True, editable=False)
    sip_password_encrypted = models.TextField(_("IP phone password (encrypted)"), blank=True, editable=False)
    secrets_destroyed_at = models.DateTimeField(_("passwords destroyed"), null=True, blank=True)
    sip_password_reissued_at = models.DateTimeField(_("IP phone password reissued"), null=True, blank=True)
    # md5(number:realm:password) and md5(number@domain:realm:password), as Kamailio's auth_db reads them.
    sip_ha1 = models.CharField(_("registrar digest (HA1)"), max_length=32, null=True, blank=True, editable=False)
    sip_ha1b = models.CharField(_("registrar digest (HA1B)"), max_length=32, null=True, blank=True, editable=False)
    cancellation = models.ForeignKey(
        Cancellation,
        verbose_name=_("paper cancellation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    cancelled_on = models.DateField(_("cancelled from"), null=True, blank=True)

    objects = IssuedLineQuerySet.as_manager()

    class Meta:
        permissions = [("reissue_sip_password", _("Can reissue the IP phone password"))]
        verbose_name = _("issued line")
        verbose_name_plural = _("issued lines")
        ordering = ["number_id"]
        constraints = [
            # Invariant 1: a number has at most one holder not yet cancelled.
            models.UniqueConstraint(
                fields=["number"], condition=models.Q(cancellation__isnull=True), name="line_one_holder_per_number"
            ),
            models.CheckConstraint(
                condition=models.Q(cancellation__isnull=True, cancelled_on__isnull=True)
                | models.Q(cancellation__isnull=False, cancelled_on__isnull=False),
                name="line_cancellation_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(sip_ha1__isnull=True, sip_ha1b__isnull=True)
                | models.Q(sip_ha1__isnull=False, sip_ha1b__isnull=False),
                name="line_digests_together",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "number"], name="line_customer_number_idx"),
            # registrar_drop_cancelled: cancelled lines whose digests are still kept.
            models.Index(
                fields=["cancelled_on"],
                condition=models.Q(cancelled_on__isnull=False, sip_ha1__isnull=False),
                name="line_digest_to_forget_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number_id} → {self.customer_id}"

    def service_pin(self) -> str | None:
        return crypto.decrypt(self.service_pin_encrypted) if self.service_pin_encrypted else None

    def sip_password(self) -> str | None:
        return crypto.decrypt(self.sip_password_encrypted) if self.sip_password_encrypted else None
