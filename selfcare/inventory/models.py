from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from selfcare.core import clock

NUMBER_PATTERN = r"^050[0-9]{8}$"
number_validator = RegexValidator(r"^050[0-9]{8}\Z", _("A 050 number has 11 digits and starts with 050."))


class PhoneNumberQuerySet(models.QuerySet["PhoneNumber"]):
    def issuable(self) -> PhoneNumberQuerySet:
        """Free and past its available date (fresh from import, or out of quarantine)."""
        return self.filter(status=PhoneNumber.Status.FREE, available_from__lte=clock.today())

    def in_quarantine(self) -> PhoneNumberQuerySet:
        return self.filter(status=PhoneNumber.Status.FREE, available_from__gt=clock.today())

    def in_issue_order(self) -> PhoneNumberQuerySet:
        # 順次払い出し: oldest available date first, then ascending number.
        return self.order_by("available_from", "number")


class PhoneNumber(models.Model):
    """A 050 number of the carrier's inventory.

    ``free`` numbers are issuable once ``available_from`` has passed; a cancelled
    number goes back to ``free`` with ``available_from`` at the end of its
    quarantine, so it can never be issued before then (invariant 5).
    """

    class Status(models.TextChoices):
        FREE = "free", _("free")
        ASSIGNED = "assigned", _("assigned")

    number = models.CharField(_("050 number"), max_length=11, primary_key=True, validators=[number_validator])
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.FREE)
    available_from = models.DateField(_("available from"))
    imported_at = models.DateTimeField(_("imported"))

    objects = PhoneNumberQuerySet.as_manager()

    class Meta:
        permissions = [("import_numbers", _("Can import numbers"))]
        verbose_name = _("050 number")
        verbose_name_plural = _("050 numbers")
        indexes = [
            # Allocation reads only free numbers in issue order: a partial index keeps
            # that scan short however many numbers are assigned.
            models.Index(
                fields=["available_from", "number"],
                condition=models.Q(status="free"),
                name="number_issue_order_free_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(number__regex=NUMBER_PATTERN), name="number_is_050"),
            models.CheckConstraint(condition=models.Q(status__in=["free", "assigned"]), name="number_status_valid"),
        ]

    def __str__(self) -> str:
        return format_number(self.number)

    @property
    def display(self) -> str:
        return format_number(self.number)


def format_number(number: str) -> str:
    """050-1234-5678."""
    return f"{number[:3]}-{number[3:7]}-{number[7:]}" if len(number) == 11 else number


class PoolChange(models.Model):
    """A change in how many numbers the pool has in one state, written in the transaction that made it:
    held by a customer (``available_from`` empty) or free from a day (issuable from it, in quarantine before).

    Summed, the rows are the pool's counts by state and day without reading the numbers table (the staff
    dashboard at ten million numbers). Rows are only added, so parallel applications never wait for one
    another on a shared counter; ``pool_tally_compact`` (daily) sums them into one row per state and day.
    ``check_invariants`` compares the sums with the numbers table.
    """

    available_from = models.DateField(_("available from"), null=True, blank=True)
    numbers = models.IntegerField(_("numbers"))

    class Meta:
        verbose_name = _("pool change")
        verbose_name_plural = _("pool changes")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.available_from or 'held'} {self.numbers:+d}"


class IssueCount(models.Model):
    """Numbers issued to customers on a day (the carrier's, settings.TIME_ZONE), written in the application's
    transaction: one row per application, summed by ``pool_tally_compact`` (daily) into one row per day.

    The staff dashboard's numbers added by week read these rows, a few a day, instead of the applications of
    twelve weeks (a hundred thousand at ten million numbers). Numbers cancelled later still count: they were
    added. ``check_invariants`` compares the sums with the applications placed each day.
    """

    day = models.DateField(_("day"), db_index=True)
    numbers = models.IntegerField(_("numbers"))

    class Meta:
        verbose_name = _("numbers issued on a day")
        verbose_name_plural = _("numbers issued by day")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.day} +{self.numbers}"
