from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from selfcare.accounts.errors import CustomerSuspended, LimitReached
from selfcare.core.errors import DomainError


class User(AbstractUser):
    """A login. Staff have ``is_staff``; a customer's login is its self-care ID and has a ``customer``."""

    consecutive_failures = models.PositiveIntegerField(_("consecutive failed logins"), default=0, editable=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, db_index=True)
    password_change_required = models.BooleanField(
        _("password change required"),
        default=False,
        editable=False,
        help_text=_("The password was set by staff or posted on a letter: it must be changed at the next login."),
    )
    # The hash of a forgotten-password letter's new initial password. The current password keeps working
    # until this one is first used (then it becomes the password) or the password is changed or reset.
    pending_password = models.CharField(max_length=128, blank=True, default="", editable=False)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # its verbose names kept
        # The staff accounts' list: a handful of staff among hundreds of thousands of customers' logins.
        indexes = [models.Index(fields=["username"], condition=models.Q(is_staff=True), name="user_staff_idx")]


selfcare_id_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{3,31}\Z",
    _("A self-care ID is 4 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit."),
)


class Plan(models.Model):
    code = models.SlugField(_("plan code"), max_length=32, unique=True)
    name = models.CharField(_("plan name"), max_length=100)
    monthly_fee_per_number = models.PositiveIntegerField(
        _("monthly fee per number (yen)"),
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def default_addition_limit() -> int:
    return settings.SELFCARE_DEFAULT_ADDITION_LIMIT


class Customer(models.Model):
    """A contract holder (契約者). Its login is ``user``; its self-care ID is the user name."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="customer")
    contract_name = models.CharField(_("contract name"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("contract address"), max_length=300, blank=True)
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="customers")
    addition_limit = models.PositiveIntegerField(
        _("addition limit"),
        default=default_addition_limit,
        validators=[MinValueValidator(0)],
        help_text=_("Numbers this customer may add by self-care in total, cancelled ones included."),
    )
    numbers_added = models.PositiveIntegerField(
        _("numbers added"),
        default=0,
        editable=False,
        help_text=_("Numbers added by self-care so far, cancelled ones included."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        permissions = [("unlock_customer", _("Can unlock a locked login"))]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            # Invariant 2, refereed by the database itself.
            models.CheckConstraint(
                condition=models.Q(numbers_added__lte=models.F("addition_limit")),
                name="customer_numbers_added_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.selfcare_id} {self.contract_name}"

    @property
    def selfcare_id(self) -> str:
        return self.user.username

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def remaining_additions(self) -> int:
        return max(self.addition_limit - self.numbers_added, 0)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def addition_refusal(self, count: int) -> DomainError | None:
        """Why this customer may not add ``count`` more numbers now, or None when they may.

        The one rule for adding numbers (invariant 2): the portal asks it before offering the form
        and before the confirm page; ``orders.services.numbers_add`` asks it again under the
        customer's lock, where it decides.
        """
        if not self.is_active:
            return CustomerSuspended()
        if count > self.remaining_additions:
            return LimitReached(limit=self.addition_limit, remaining=self.remaining_additions)
        return None

    def can_add(self, count: int) -> bool:
        return self.addition_refusal(count) is None


class OneTimeCode(models.Model):
    """A code typed once by its user: stored only as a keyed hash, void when used, expired or guessed at."""

    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"  # type: ignore[attr-defined]


class LoginCode(OneTimeCode):
    """A one-time code e-mailed for the second login step."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_codes")

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        indexes = [models.Index(fields=["user", "created_at"], name="logincode_user_created_idx")]


class StaffEnrolmentCode(OneTimeCode):
    """A single-use code an administrator hands a staff member out of band.

    Without one, a staff password alone cannot enrol the first authenticator app: the staff site
    asks for the code before it shows the QR code. Only its keyed hash is stored.
    """

    class VoidReason(models.TextChoices):
        REPLACED = "replaced", _("replaced by a newer code")
        TOO_MANY_FAILURES = "too_many_failures", _("too many wrong entries")
        AUTHENTICATOR_REMOVED = "authenticator_removed", _("authenticator removed")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    void_reason = models.CharField(max_length=32, choices=VoidReason.choices, blank=True)

    class Meta:
        verbose_name = _("staff enrolment code")
        verbose_name_plural = _("staff enrolment codes")
        default_permissions = ()
        permissions = [("issue_enrolment_code", _("Can issue an authenticator enrolment code to staff"))]
        indexes = [models.Index(fields=["user", "created_at"], name="enrolcode_user_created_idx")]
