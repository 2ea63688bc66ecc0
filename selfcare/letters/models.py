from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Addressee(Protocol):
    """Whom a letter goes to, as letters sees them (accounts' Customer: letters is below accounts and
    names its models only in its foreign keys, docs/architecture.md)."""

    @property
    def pk(self) -> Any: ...

    @property
    def contract_name(self) -> str: ...

    @property
    def postal_code(self) -> str: ...

    @property
    def address(self) -> str: ...


class Letter(models.Model):
    """A posted letter to the contract address: IP電話サービス開始のご案内 for an application, or
    IP加入電話パスワード再発行のご案内 for one line whose IP phone password staff reissued.

    The address is copied when the letter is queued: a later change of address
    does not rewrite what was (or will be) posted.
    """

    class Kind(models.TextChoices):
        SERVICE_START = "service_start", _("IP phone service start letter")
        SIP_PASSWORD_REISSUE = "sip_password_reissue", _("IP phone password reissue letter")
        SELFCARE_CREDENTIALS = "selfcare_credentials", _("self-care ID and initial password letter")

    class Withdrawal(models.TextChoices):
        """Why a letter not yet posted will not be: the password it carried stopped working before it went out."""

        PASSWORD_CHANGED = "password_changed", _("the customer changed their password")
        PASSWORD_RESET = "password_reset", _("the password was reset by staff")
        SUPERSEDED = "superseded", _("a newer password replaced the one it carries")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="letters"
    )
    application = models.OneToOneField(
        "orders.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letter",
    )
    line = models.ForeignKey(
        "orders.IssuedLine",
        verbose_name=_("issued line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissue_letters",
    )
    secret_encrypted = models.TextField(
        _("initial password (encrypted)"),
        blank=True,
        editable=False,
        help_text=_("Only on a self-care ID letter; destroyed like the numbers' passwords after posting."),
    )
    recipient_name = models.CharField(_("addressee"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    queued_at = models.DateTimeField(_("queued"), db_index=True)
    printed_at = models.DateTimeField(_("last printed"), null=True, blank=True)
    print_count = models.PositiveSmallIntegerField(_("times printed"), default=0)
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # rules.md, *forgotten password*: kept in the queue, never printed or posted, its password destroyed.
    withdrawn_at = models.DateTimeField(_("posting stopped"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("why posting stopped"), max_length=32, choices=Withdrawal.choices, blank=True)

    class Meta:
        permissions = [("print_letter", _("Can print letters")), ("post_letter", _("Can mark letters as posted"))]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["queued_at", "id"]
        indexes = [
            models.Index(fields=["queued_at"], condition=models.Q(posted_at__isnull=True), name="letter_unposted_idx"),
        ]
        constraints = [
            # A reissue letter carries the password of exactly one line, and no application.
            models.CheckConstraint(
                condition=~models.Q(kind="sip_password_reissue")
                | models.Q(line__isnull=False, application__isnull=True),
                name="letter_reissue_has_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.recipient_name}"

    @classmethod
    def to_contract_address(cls, customer: Addressee, **fields: Any) -> Letter:
        """A letter (not yet saved) to the customer's contract address as it stands now."""
        return cls(
            customer_id=customer.pk,
            recipient_name=customer.contract_name,
            postal_code=customer.postal_code,
            address=customer.address,
            **fields,
        )
