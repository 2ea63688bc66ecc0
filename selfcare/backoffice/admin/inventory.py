"""The 050 number inventory and its import."""

from __future__ import annotations

import io
from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from selfcare.backoffice.admin.base import IndexedSearchMixin, ReadOnlyMixin, StaffAdminMixin, StaffMedia, staff_actor
from selfcare.backoffice.forms import ImportForm
from selfcare.backoffice.search import numbers_found
from selfcare.core import clock
from selfcare.core.errors import DomainError
from selfcare.inventory.models import PhoneNumber, PhoneNumberQuerySet
from selfcare.inventory.services import (
    iter_range,
    numbers_from_csv,
    numbers_import,
    numbers_import_preview,
    numbers_in_range,
    numbers_range_preview,
)
from selfcare.orders.models import IssuedLine

# Number inventory -----------------------------------------------------------------------------


class NumberHistoryInline(ReadOnlyMixin, admin.TabularInline):
    model = IssuedLine
    fk_name = "number"
    fields = (
        "customer",
        "application",
        "issued_at",
        "cancelled_on",
        "cancellation",
    )
    readonly_fields = fields
    extra = 0
    ordering = ["-issued_at"]
    verbose_name_plural = _("owners, newest first")


class NumberStateFilter(admin.SimpleListFilter):
    """Free now, held, or in quarantine: each along the free numbers' partial index or the primary key."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("free", pgettext_lazy("number state", "free")),
            ("quarantine", _("in quarantine")),
            ("held", pgettext_lazy("number state", "held")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        numbers = cast(PhoneNumberQuerySet, queryset)
        if self.value() == "free":
            return numbers.issuable()
        if self.value() == "quarantine":
            return numbers.in_quarantine().exclude(Exists(_cancellation_pending()))
        if self.value() == "held":
            return queryset.filter(Q(status=PhoneNumber.Status.ASSIGNED) | Exists(_cancellation_pending()))
        return queryset


def _cancellation_pending() -> QuerySet:
    """The line of a number whose cancellation is recorded but not yet in effect: the number is free in the
    pool (waiting for the end of its quarantine) but still held until that day (docs/rules.md)."""
    return IssuedLine.objects.filter(number=OuterRef("pk"), cancelled_on__gt=clock.today())


@admin.register(PhoneNumber)
class PhoneNumberAdmin(IndexedSearchMixin, StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["number_display", "state", "issuable_from", "imported_at"]
    list_filter = [NumberStateFilter]
    ordering = ["number"]  # ascending, as numbers are issued and imported (the primary key, read forwards)
    search_fields = ["^number"]
    inlines = [NumberHistoryInline]
    change_list_template = "backoffice/phonenumber_changelist.html"

    search_help_text = _("A 050 number, or its first digits (hyphens and full-width digits are fine).")

    search_with = staticmethod(numbers_found)

    @admin.display(description=_("050 number"), ordering="number")
    def number_display(self, obj: PhoneNumber) -> str:
        return obj.display

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        pending = _cancellation_pending().values("cancelled_on")[:1]
        return super().get_queryset(request).annotate(cancelled_from=Subquery(pending))

    @admin.display(description=_("state"))
    def state(self, obj: PhoneNumber) -> str:
        """Held (until a cancellation takes effect), free, or waiting (a cancellation's quarantine, a future import)."""
        if obj.status == PhoneNumber.Status.ASSIGNED:
            return str(pgettext_lazy("number state", "held"))
        cancelled_from = getattr(obj, "cancelled_from", None)
        if cancelled_from is not None:
            return str(_("held, cancelled from %(day)s") % {"day": cancelled_from.isoformat()})
        if obj.available_from > clock.today():
            return str(_("in quarantine, issuable from %(day)s") % {"day": obj.available_from.isoformat()})
        return str(pgettext_lazy("number state", "free"))

    @admin.display(description=_("available from"), ordering="available_from")
    def issuable_from(self, obj: PhoneNumber) -> Any:
        """A held number is issued: the stored day (its import's, or its last quarantine's end) says nothing."""
        return "—" if obj.status == PhoneNumber.Status.ASSIGNED else obj.available_from

    # A number's own page shows its state as the list does, not the stored status ("free" is issuable or waiting).
    fields = ("number_display", "state", "issuable_from", "imported_at")
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("inventory.view_phonenumber")

    def get_urls(self) -> list:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="inventory_phonenumber_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("inventory.import_numbers"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if "confirm" in request.POST:
                    numbers, source = self._numbers_of(data)
                    result = numbers_import(
                        numbers=numbers,
                        actor=staff_actor(request),
                        source=source,
                        available_from=form.cleaned_data["available_from"],
                    )
                    messages.success(
                        request,
                        _("Added %(added)d numbers; skipped %(skipped)d already known.")
                        % {"added": result.added, "skipped": result.skipped},
                    )
                    return HttpResponseRedirect(reverse("admin:inventory_phonenumber_changelist"))
                if data.get("csv_file"):
                    preview = numbers_import_preview(
                        numbers=self._numbers_of(data)[0], available_from=data["available_from"]
                    )
                else:  # counted, not walked: a million numbers within the request's time
                    preview = numbers_range_preview(
                        first=data["first"], last=data["last"], available_from=data["available_from"]
                    )
            except DomainError as refusal:
                form.add_error(None, str(refusal))
            except ValidationError as invalid:
                form.add_error(None, invalid)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import 050 numbers"),
            "form": form,
            "preview": preview,
            "opts": self.opts,
        }
        return TemplateResponse(request, "backoffice/import.html", context)

    @staticmethod
    def _numbers_of(data: dict) -> tuple[Any, str]:
        if data.get("csv_file"):
            upload = data["csv_file"]
            try:
                text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
                numbers = numbers_from_csv(text)
            except UnicodeDecodeError:
                raise ValidationError(_("The CSV file is not UTF-8 text.")) from None
            return numbers, f"csv:{upload.name}"[:128]
        first, last, _size = numbers_in_range(data["first"], data["last"])
        return list(iter_range(first, last)), f"range:{first}-{last}"
