"""The staff site: every change goes through the domain services; the admin only parses and shows."""

from __future__ import annotations

import base64
import io
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, connection, models
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts import services as account_services
from selfcare.accounts.models import Customer, Plan, User
from selfcare.backoffice.audit_labels import ACTION_LABELS, action_label
from selfcare.backoffice.forms import (
    BillingForm,
    CancellationForm,
    CustomerChangeForm,
    CustomerCreateForm,
    ImportForm,
    ReprintForm,
    number_or_text,
)
from selfcare.core import clock
from selfcare.core.audit import Actor, audit_record
from selfcare.core.csv_cells import csv_writer
from selfcare.core.errors import DomainError
from selfcare.core.models import AuditEntry
from selfcare.inventory.models import PhoneNumber, PhoneNumberQuerySet
from selfcare.inventory.services import (
    iter_range,
    numbers_from_csv,
    numbers_import,
    numbers_import_preview,
    numbers_in_range,
)
from selfcare.letters.models import Letter
from selfcare.orders.models import Application, Cancellation, IssuedLine
from selfcare.orders.selectors import cancellation_lines
from selfcare.orders.services import numbers_cancel, quarantine_end

site = admin.site
logger = logging.getLogger(__name__)


def staff_actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user, request.META.get("REMOTE_ADDR"))  # type: ignore[arg-type]


def no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


class StaffMedia:
    css = {"all": ["backoffice/staff.css"]}


# Junk in URLs and forms: refused with a message, never a 500 ------------------------------------


def _zoned(value: str) -> str:
    """Dates and times typed without a zone (comma-separated for __in and __range) as the carrier's local time."""
    parts = []
    for part in value.split(","):
        try:
            moment = parse_datetime(part.strip())
        except ValueError:  # well formed but no such day: the filter refuses it
            moment = None
        parts.append(part if moment is None or timezone.is_aware(moment) else timezone.make_aware(moment).isoformat())
    return ",".join(parts)


class StaffChangeList(ChangeList):
    """A change list answers any query string with a page or Django's "invalid parameters" redirect.

    Django's admin does so for most bad lookups, but not for a year of the date drill-down the
    calendar cannot hold (9999 has no next year, 10**30 is no year), a time the database cannot
    store once moved to UTC (the year 1 on SQLite), or text PostgreSQL cannot take (NUL). A time
    typed without a zone is the carrier's local time, as in Django's own date links.
    """

    def get_filters_params(self, params: dict | None = None) -> dict:
        lookup_params = super().get_filters_params(params)
        for key, values in lookup_params.items():
            try:
                field = self.model._meta.get_field(key.split(LOOKUP_SEP)[0])
            except FieldDoesNotExist:
                continue
            if isinstance(field, models.DateTimeField):
                lookup_params[key] = [_zoned(value) for value in values]
        return lookup_params

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request: HttpRequest) -> None:
        try:
            super().get_results(request)
        except (OverflowError, DataError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several rows (roles, permissions) where an id outside its column's range is no choice.

    Django's own field asks the database about such an id, and SQLite cannot even hold one: a 500.
    """

    def _check_values(self, value: Any) -> QuerySet:
        pk = self.queryset.model._meta.pk if self.queryset is not None else None
        if self.to_field_name is None and isinstance(pk, models.IntegerField):
            low, high = connection.ops.integer_field_range(pk.get_internal_type())
            for choice in value:
                try:
                    number = int(choice)
                except (TypeError, ValueError):
                    continue  # no number at all: Django's own check refuses it
                if not low <= number <= high:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": choice}
                    )
        return super()._check_values(value)  # type: ignore[misc]


class StaffAdminMixin:
    """Every model page of the back office: junk in the list's query string, an object's URL, an action's
    selection or a choice of several rows is refused with a message or "not found", never a 500."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return StaffChangeList

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", StaffMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        if "\x00" in object_id:  # no id holds NUL, and PostgreSQL cannot even compare text holding one
            return None
        return super().get_object(request, object_id, from_field)  # type: ignore[misc]

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        try:  # ids that cannot be this list's (typed into the form) select nothing
            queryset.filter(pk__in=request.POST.getlist(ACTION_CHECKBOX_NAME)).exists()
        except (ValueError, ValidationError, OverflowError):
            messages.warning(
                request,
                _("Items must be selected in order to perform actions on them. No items have been changed."),
            )
            return None
        return super().response_action(request, queryset)  # type: ignore[misc]


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Customers ------------------------------------------------------------------------------------


class LineInline(ReadOnlyMixin, admin.TabularInline):
    model = IssuedLine
    fk_name = "customer"
    fields = (
        "number",
        "issued_at",
        "cancelled_on",
        "application",
        "secrets_destroyed_at",
    )
    readonly_fields = fields
    extra = 0
    ordering = ["number_id", "-issued_at"]
    verbose_name_plural = _("numbers")


class ApplicationInline(ReadOnlyMixin, admin.TabularInline):
    model = Application
    fields = (
        "application_number",
        "placed_at",
        "count",
        "monthly_fee_per_number",
        "plan_code",
    )
    readonly_fields = fields
    extra = 0


class LetterInline(ReadOnlyMixin, admin.TabularInline):
    model = Letter
    fields = (
        "kind",
        "application",
        "queued_at",
        "printed_at",
        "print_count",
        "posted_at",
    )
    readonly_fields = fields
    extra = 0


@admin.display(description=_("action"), ordering="action")
def audit_action(entry: AuditEntry) -> str:
    return action_label(entry.action)


class AuditInline(ReadOnlyMixin, admin.TabularInline):
    model = AuditEntry
    fields = (
        "at",
        "actor_label",
        "ip_address",
        "action_label",
        "target",
        "detail",
    )
    readonly_fields = fields

    @admin.display(description=_("action"))
    def action_label(self, entry: AuditEntry) -> str:
        return action_label(entry.action)

    extra = 0
    ordering = ["-at"]
    verbose_name_plural = _("audit trail")


class LockedFilter(admin.SimpleListFilter):
    title = _("login locked")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("locked now"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(user__locked_until__gt=clock.now()) if self.value() == "yes" else queryset


@admin.register(Customer)
class CustomerAdmin(StaffAdminMixin, admin.ModelAdmin):
    Media = StaffMedia

    form = CustomerChangeForm
    list_display = [
        "selfcare_id",
        "contract_name",
        "email",
        "plan",
        "numbers_added",
        "addition_limit",
        "status",
        "locked",
    ]
    list_filter = ["status", "plan", LockedFilter]
    search_fields = ["user__username", "contract_name", "user__email", "=lines__number__number"]
    list_select_related = ["user", "plan"]
    readonly_fields = ["selfcare_id", "numbers_added", "created_at", "locked"]
    inlines = [LineInline, ApplicationInline, LetterInline, AuditInline]
    actions = ["unlock", "suspend", "reactivate"]
    change_form_template = "backoffice/customer_change_form.html"
    fields = [
        "selfcare_id",
        "contract_name",
        "email",
        "postal_code",
        "address",
        "plan",
        "addition_limit",
        "numbers_added",
        "status",
        "locked",
        "created_at",
    ]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        queryset, _dup = super().get_search_results(request, queryset, number_or_text(search_term))
        return queryset.distinct(), False

    @admin.display(description=_("Self-care ID"), ordering="user__username")
    def selfcare_id(self, obj: Customer) -> str:
        return obj.selfcare_id

    @admin.display(description=_("e-mail"))
    def email(self, obj: Customer) -> str:
        return obj.user.email

    @admin.display(description=_("login locked until"))
    def locked(self, obj: Customer) -> Any:
        return obj.user.locked_until or "-"

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CustomerCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = account_services.customer_create(
                    selfcare_id=data["selfcare_id"],
                    email=data["email"],
                    contract_name=data["contract_name"],
                    plan_code=data["plan"].code,
                    addition_limit=data["addition_limit"],
                    postal_code=data["postal_code"],
                    address=data["address"],
                    actor=staff_actor(request),
                )
            except DomainError as refusal:
                form.add_error(None, str(refusal))
            except ValidationError as invalid:
                form.add_error(None, invalid)
            else:
                context = {
                    **self.admin_site.each_context(request),
                    "title": _("Customer created"),
                    "customer": created.customer,
                    "password": created.initial_password,
                    "opts": self.opts,
                }
                # Shown once, on this page only: the password is never stored in clear text anywhere.
                return no_store(TemplateResponse(request, "backoffice/customer_created.html", context))
        context = {**self.admin_site.each_context(request), "title": _("Add customer"), "form": form, "opts": self.opts}
        return TemplateResponse(request, "backoffice/form.html", context)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        # The services run their own durable transactions; the admin's usual outer atomic would forbid them.
        return self._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            account_services.customer_change(
                customer_id=obj.pk,
                actor=staff_actor(request),
                plan_code=data["plan"].code,
                email=data["email"],
                contract_name=data["contract_name"],
                postal_code=data["postal_code"],
                address=data["address"],
                addition_limit=data["addition_limit"] if "addition_limit" in form.changed_data else None,
                status=data["status"] if "status" in form.changed_data else None,
            )
        except DomainError as refusal:
            request._customer_refusal = refusal  # type: ignore[attr-defined]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_customer_refusal", None) is not None:
            return None  # nothing changed: no "changed" entry in the admin's history
        return super().log_change(request, obj, message)

    def response_change(self, request: HttpRequest, obj: Customer) -> HttpResponse:
        """A refused change shows the page again with what was typed and why, never "changed successfully"."""
        refusal = getattr(request, "_customer_refusal", None)
        if refusal is None:
            return super().response_change(request, obj)
        form = self.get_form(request, obj, change=True)(request.POST, request.FILES, instance=obj)
        form.is_valid()
        form.add_error(None, str(refusal))
        formsets, inline_instances = self._create_formsets(request, obj, change=True)  # type: ignore[attr-defined]
        admin_form = helpers.AdminForm(
            form,
            list(self.get_fieldsets(request, obj)),  # type: ignore[arg-type]
            {},
            self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change customer"),
            "subtitle": str(obj),
            "adminform": admin_form,
            "object_id": obj.pk,
            "original": Customer.objects.get(pk=obj.pk),
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": self.get_inline_formsets(request, formsets, inline_instances, obj),
            "errors": helpers.AdminErrorList(form, formsets),
            "preserved_filters": self.get_preserved_filters(request),
        }
        return self.render_change_form(request, context, add=False, change=True, obj=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:  # read-only inlines: nothing changes, but the admin expects them saved
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Unlock the login of the selected customers"), permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet) -> None:
        for customer in queryset:
            account_services.customer_unlock(customer_id=customer.pk, actor=staff_actor(request))
        messages.success(request, _("Unlocked %(n)d customers.") % {"n": queryset.count()})

    @admin.action(description=_("Suspend the selected customers"), permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet) -> None:
        for customer in queryset:
            account_services.customer_set_status(
                customer_id=customer.pk, status="suspended", actor=staff_actor(request)
            )

    @admin.action(description=_("Make the selected customers active again"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        for customer in queryset:
            account_services.customer_set_status(customer_id=customer.pk, status="active", actor=staff_actor(request))

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.unlock_customer")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _plain(value: Any) -> Any:
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)


class AuditedAdminMixin:
    """Plain admin edits (plans, staff accounts, roles) leave an audit entry beside Django's own log."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "created", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "changed", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # What the form changed, for the audit entry (never a password or its hash).
        request._audit_changes = {  # type: ignore[attr-defined]
            name: _plain(form.cleaned_data.get(name))
            for name in form.changed_data
            if "password" not in name and name in form.cleaned_data
        }
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    @staticmethod
    def _audit(request: HttpRequest, obj: Any, verb: str, message: Any) -> None:
        detail = getattr(request, "_audit_changes", None) or {"change": str(message)}
        audit_record(
            actor=staff_actor(request),
            action=f"{obj._meta.model_name}.{verb}",
            target=str(getattr(obj, "code", None) or getattr(obj, "username", None) or obj)[:128],
            detail=detail,
        )


@admin.register(Plan)
class PlanAdmin(StaffAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "monthly_fee_per_number", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
            return numbers.in_quarantine()
        if self.value() == "held":
            return queryset.filter(status=PhoneNumber.Status.ASSIGNED)
        return queryset


@admin.register(PhoneNumber)
class PhoneNumberAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["number_display", "state", "available_from", "imported_at"]
    list_filter = [NumberStateFilter]
    search_fields = ["^number"]
    inlines = [NumberHistoryInline]
    show_full_result_count = False  # counting ten million rows on every page is not worth it
    change_list_template = "backoffice/phonenumber_changelist.html"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        return super().get_search_results(request, queryset, number_or_text(search_term))

    @admin.display(description=_("050 number"), ordering="number")
    def number_display(self, obj: PhoneNumber) -> str:
        return obj.display

    @admin.display(description=_("state"))
    def state(self, obj: PhoneNumber) -> str:
        """From the row's own columns: held, free, or waiting (a cancellation's quarantine, a future import)."""
        if obj.status == PhoneNumber.Status.ASSIGNED:
            return str(pgettext_lazy("number state", "held"))
        if obj.available_from > clock.today():
            return str(_("in quarantine, issuable from %(day)s") % {"day": obj.available_from.isoformat()})
        return str(pgettext_lazy("number state", "free"))

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
            try:
                numbers, source = self._numbers_of(form.cleaned_data)
                if "confirm" in request.POST:
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
                preview = numbers_import_preview(numbers=numbers)
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


# Paper cancellations --------------------------------------------------------------------------


class CancellationLineInline(ReadOnlyMixin, admin.TabularInline):
    model = IssuedLine
    fk_name = "cancellation"
    fields = (
        "number",
        "customer",
        "issued_at",
        "cancelled_on",
    )
    readonly_fields = fields
    extra = 0


@admin.register(Cancellation)
class CancellationAdmin(StaffAdminMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["id", "customer", "received_on", "effective_on", "recorded_at", "recorded_by", "line_count"]
    list_filter = ["effective_on", "received_on"]
    search_fields = ["customer__user__username", "customer__contract_name", "=lines__number__number"]
    date_hierarchy = "recorded_at"
    readonly_fields = ["customer", "received_on", "effective_on", "recorded_at", "recorded_by", "note"]
    inlines = [CancellationLineInline]

    @admin.display(description=_("numbers"))
    def line_count(self, obj: Cancellation) -> int:
        return obj.lines.count()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        """The form, then a confirmation page of what would change; only the confirmation records anything."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"customer": request.GET.get("customer", "")[:200]} if request.method == "GET" else None
        form = CancellationForm(request.POST or None, initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record a paper cancellation"),
            "opts": self.opts,
        }
        if request.method == "POST" and "back" not in request.POST and form.is_valid():
            data = form.cleaned_data
            customer = data["customer"]
            try:
                lines = cancellation_lines(
                    customer_id=customer.pk, numbers=data["numbers"], effective_on=data["effective_on"]
                )
                if "confirm" in request.POST:
                    cancellation = numbers_cancel(
                        customer_id=customer.pk,
                        numbers=data["numbers"],
                        received_on=data["received_on"],
                        effective_on=data["effective_on"],
                        note=data["note"],
                        actor=staff_actor(request),
                    )
            except DomainError as refusal:
                form.add_error(None, str(refusal))
            else:
                if "confirm" in request.POST:
                    messages.success(
                        request, _("Recorded the cancellation of %(n)d numbers.") % {"n": len(data["numbers"])}
                    )
                    return HttpResponseRedirect(reverse("admin:orders_cancellation_change", args=[cancellation.pk]))
                context.update(
                    title=_("Confirm the paper cancellation"),
                    customer=customer,
                    data=data,
                    lines=lines,
                    issuable_from=quarantine_end(data["effective_on"]),
                    quarantine_months=settings.SELFCARE_QUARANTINE_MONTHS,
                    numbers_text=" ".join(data["numbers"]),
                )
                return TemplateResponse(request, "backoffice/cancellation_confirm.html", context)
        return TemplateResponse(request, "backoffice/form.html", {**context, "form": form})


# Applications ---------------------------------------------------------------------------------


class ApplicationLineInline(ReadOnlyMixin, admin.TabularInline):
    model = IssuedLine
    fk_name = "application"
    fields = (
        "number",
        "issued_at",
        "cancelled_on",
        "secrets_destroyed_at",
    )
    readonly_fields = fields
    extra = 0


@admin.register(Application)
class ApplicationAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["application_number", "customer", "count", "monthly_fee_per_number", "plan_code", "placed_at"]
    list_filter = ["placed_at", "plan_code"]
    search_fields = ["application_number", "customer__user__username", "customer__contract_name"]
    date_hierarchy = "placed_at"
    list_select_related = ["customer__user"]
    inlines = [ApplicationLineInline]
    exclude = ["idempotency_key"]
    change_list_template = "backoffice/application_changelist.html"

    def get_urls(self) -> list:
        return [
            path("billing/", self.admin_site.admin_view(self.billing_view), name="orders_billing_export"),
            *super().get_urls(),
        ]

    def billing_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("orders.export_billing"):
            raise PermissionDenied
        form = BillingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            from selfcare.orders.billing import billing_export

            month = form.cleaned_data["month"]
            excel = form.cleaned_data["layout"] == BillingForm.EXCEL
            buffer = io.StringIO()
            billing_export(month=month, stream=buffer, excel=excel, actor=staff_actor(request))
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
            name = f"billing-{month:%Y-%m}{'-excel' if excel else ''}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return no_store(response)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Billing export"),
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(request, "backoffice/billing.html", context)


@admin.register(IssuedLine)
class IssuedLineAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = [
        "number",
        "customer",
        "application",
        "issued_at",
        "cancelled_on",
        "secrets_destroyed_at",
        "sip_password_reissued_at",
    ]
    search_fields = ["^number__number", "customer__user__username"]
    list_select_related = ["customer__user", "application"]
    # The registrar's digests are password equivalents: never on screen.
    exclude = ["service_pin_encrypted", "sip_password_encrypted", "sip_ha1", "sip_ha1b"]
    show_full_result_count = False
    actions = ["reissue_sip_password"]

    @admin.action(description=_("Reissue the IP phone password"), permissions=["reissue"])
    def reissue_sip_password(self, request: HttpRequest, queryset: QuerySet) -> None:
        from selfcare.orders.services import sip_password_reissue

        reissued = []
        for line in queryset.order_by("number_id"):
            try:
                sip_password_reissue(line_id=line.pk, actor=staff_actor(request))
            except DomainError as refusal:
                messages.error(request, str(refusal))
            else:
                reissued.append(line.number_id)
        if reissued:
            messages.success(
                request,
                _("Reissued the IP phone password of %(numbers)s; the old one no longer works. The letter is queued.")
                % {"numbers": ", ".join(reissued)},
            )

    def has_reissue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.reissue_sip_password")


# Letters --------------------------------------------------------------------------------------


class UnpostedFilter(admin.SimpleListFilter):
    title = _("posted")
    parameter_name = "posted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("not yet posted")), ("yes", pgettext_lazy("letter state", "posted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(posted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(posted_at__isnull=False)
        return queryset


@admin.register(Letter)
class LetterAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["id", "kind", "customer", "application", "queued_at", "printed_at", "print_count", "posted_at"]
    list_filter = [UnpostedFilter, "kind", "queued_at"]
    search_fields = ["customer__user__username", "customer__contract_name", "application__application_number"]
    list_select_related = ["customer__user", "application"]
    actions = ["print_letters", "mark_posted"]
    change_list_template = "backoffice/letter_changelist.html"

    @admin.action(description=_("Print the selected letters as one PDF"), permissions=["print"])
    def print_letters(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        from selfcare.letters.services import letters_print

        ids = list(queryset.order_by("queued_at", "id").values_list("id", flat=True))
        reprint = queryset.filter(print_count__gt=0).exists()
        form = ReprintForm(request.POST if "reason" in request.POST else None)
        if reprint and not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _("Print letters again"),
                "form": form,
                "ids": ids,
                "opts": self.opts,
                "action": "print_letters",
            }
            return TemplateResponse(request, "backoffice/reprint.html", context)
        try:
            pdf = letters_print(
                letter_ids=ids, actor=staff_actor(request), reason=form.cleaned_data["reason"] if reprint else ""
            )
        except DomainError as refusal:
            messages.error(request, str(refusal))
            return None
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="letters.pdf"'
        return no_store(response)

    def get_urls(self) -> list:
        return [
            path("print/", self.admin_site.admin_view(self.print_view), name="letters_letter_print"),
            path("print/stream/", self.admin_site.admin_view(self.print_stream), name="letters_letter_print_stream"),
            *super().get_urls(),
        ]

    def print_view(self, request: HttpRequest) -> HttpResponse:
        """The unprinted letters as one PDF, with a progress bar while it renders."""
        if not self.has_print_permission(request):
            raise PermissionDenied
        from selfcare.letters.selectors import letters_unprinted_ids, letters_unprinted_unaddressed

        unaddressed = letters_unprinted_unaddressed()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Print the unprinted letters"),
            "count": len(letters_unprinted_ids()) - len(unaddressed),
            "unaddressed": unaddressed,
            "opts": self.opts,
        }
        return TemplateResponse(request, "backoffice/print_progress.html", context)

    def print_stream(self, request: HttpRequest) -> StreamingHttpResponse:
        """POST: render in a worker thread and stream "progress done total" lines, then the PDF in base64.

        One request from start to end, so any app server can serve it; the PDF (and so the
        passwords) exists only in this process's memory and on the wire to the staff member.
        """
        if request.method != "POST" or not self.has_print_permission(request):
            raise PermissionDenied
        from selfcare.letters.selectors import letters_unprinted_ids, letters_unprinted_unaddressed

        held_back = {letter.pk for letter in letters_unprinted_unaddressed()}  # printed once they have an address
        ids = [pk for pk in letters_unprinted_ids() if pk not in held_back]
        actor = staff_actor(request)
        events = _print_events(ids, actor, translation.get_language())
        return StreamingHttpResponse(events, content_type="text/plain; charset=utf-8")

    @admin.action(description=_("Mark the selected letters as posted"), permissions=["post"])
    def mark_posted(self, request: HttpRequest, queryset: QuerySet) -> None:
        from selfcare.letters.services import letters_mark_posted

        try:
            count = letters_mark_posted(
                letter_ids=list(queryset.values_list("id", flat=True)), actor=staff_actor(request)
            )
        except DomainError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Marked %(n)d letters as posted.") % {"n": count})

    def has_print_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("letters.print_letter")

    def has_post_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("letters.post_letter")


def _print_events(ids: list[int], actor: Actor, language: str) -> Iterator[str]:
    """Lines of "progress DONE TOTAL", then "done TEXT" (what is left to print, for the page) and "pdf BASE64"."""
    from selfcare.letters.selectors import letters_unprinted_ids
    from selfcare.letters.services import letters_print

    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            pdf = letters_print(letter_ids=ids, actor=actor, progress=lambda n: events.put(("progress", n)))
            events.put(("pdf", pdf))
        except DomainError as refusal:
            events.put(("error", str(refusal)))
        except Exception:
            logger.exception("printing letters failed")
            events.put(("error", str(_("Printing failed. Nothing was recorded as printed."))))
        finally:
            connection.close()

    threading.Thread(target=work, daemon=True).start()
    done, total = 0, len(ids)
    yield f"progress 0 {total}\n"
    while True:
        kind, value = events.get()
        if kind == "progress":
            done += value
            yield f"progress {done} {total}\n"
        elif kind == "pdf":
            left = len(letters_unprinted_ids())
            with translation.override(language):
                summary = (
                    _("Printed %(printed)d letters. Every letter has been printed.")
                    if not left
                    else _("Printed %(printed)d letters. %(left)d letters are still unprinted.")
                )
                yield f"done {summary % {'printed': total, 'left': left}}\n"
            yield f"pdf {base64.b64encode(value).decode()}\n"
            return
        else:
            yield f"error {value}\n"
            return


# Audit log ------------------------------------------------------------------------------------


class AuditActionFilter(admin.SimpleListFilter):
    """The actions by their labels; the query string keeps the stored code (``?action__exact=letter.posted``)."""

    title = _("action")
    parameter_name = "action__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return sorted(ACTION_LABELS.items(), key=lambda item: str(item[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["at", "actor_kind", "actor_label", "ip_address", audit_action, "customer", "target"]
    list_filter = [AuditActionFilter, "actor_kind", "at"]
    search_fields = ["actor_label", "action", "target", "customer__user__username"]
    date_hierarchy = "at"
    list_select_related = ["customer__user"]
    show_full_result_count = False
    actions = ["export_csv"]

    @admin.action(description=_("Export the selected entries as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        writer.writerow(["at", "actor_kind", "actor", "ip", "action", "customer", "target", "detail"])
        for entry in queryset.select_related("customer__user").iterator():
            writer.writerow(
                [
                    entry.at.isoformat(),
                    entry.actor_kind,
                    entry.actor_label,
                    entry.ip_address,
                    entry.action,
                    entry.customer.selfcare_id if entry.customer else "",
                    entry.target,
                    entry.detail,
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response


# Staff accounts and roles ---------------------------------------------------------------------

admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(StaffAdminMixin, AuditedAdminMixin, GroupAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class StaffUserAdmin(StaffAdminMixin, AuditedAdminMixin, UserAdmin):
    list_display = ["username", "email", "is_staff", "is_superuser", "is_active", "locked_until"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(StaffAdminMixin, TOTPDeviceAdmin):
    """django-otp's own page of the authenticators, its date filters handled as on every other list."""
