"""Paper cancellations, applications, issued lines and the billing export."""

from __future__ import annotations

import datetime as dt
import io
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from selfcare.accounts.models import Plan
from selfcare.backoffice.admin.base import (
    IndexedSearchMixin,
    ReadOnlyMixin,
    StaffAdminMixin,
    StaffMedia,
    no_store,
    staff_actor,
)
from selfcare.backoffice.forms import BillingForm, CancellationForm
from selfcare.backoffice.search import by_customer_found
from selfcare.core.errors import DomainError
from selfcare.inventory.models import format_number
from selfcare.orders.errors import (
    FormReceivedBeforeIssue,
    FormReceivedBeforeIssues,
    NumbersNotCancellable,
    NumbersNotHeld,
    number_already_cancelled,
    number_issued_on,
    number_not_theirs,
)
from selfcare.orders.models import Application, Cancellation, IssuedLine
from selfcare.orders.selectors import cancellation_lines
from selfcare.orders.services import numbers_cancel, quarantine_end

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
class CancellationAdmin(IndexedSearchMixin, StaffAdminMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = [
        "id",
        "customer",
        "received_on",
        "effective_on",
        "last_day_in_use",
        "recorded_at",
        "recorded_by",
        "line_count",
    ]
    list_filter = ["effective_on", "received_on"]
    search_fields = ["customer__user__username", "customer__contract_name", "=lines__number__number"]
    readonly_fields = [
        "customer",
        "received_on",
        "effective_on",
        "last_day_in_use",
        "recorded_at",
        "recorded_by",
        "note",
    ]
    inlines = [CancellationLineInline]

    search_with = staticmethod(by_customer_found)

    list_select_related = ["customer__user", "recorded_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A subquery per row shown, not a GROUP BY over every cancellation before the page is cut.
        numbers = IssuedLine.objects.filter(cancellation=OuterRef("pk")).order_by().values("cancellation")
        return (
            super().get_queryset(request).annotate(number_count=Subquery(numbers.annotate(n=Count("pk")).values("n")))
        )

    @admin.display(description=_("last day of use"), ordering="effective_on")
    def last_day_in_use(self, obj: Cancellation) -> str:
        return f"{obj.last_day_in_use:%Y-%m-%d}"  # the day before the cancellation takes effect

    @admin.display(description=_("numbers"), ordering="number_count")
    def line_count(self, obj: Cancellation) -> int:
        return obj.number_count  # type: ignore[attr-defined]

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
                    customer_id=customer.pk,
                    numbers=data["numbers"],
                    effective_on=data["effective_on"],
                    received_on=data["received_on"],
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
            except FormReceivedBeforeIssue as refusal:
                # Beside the date to correct, every value kept, naming every number issued after that date.
                form.add_error("received_on", _received_before_issue(refusal, customer.pk, data))
            except NumbersNotHeld as refusal:
                form.add_error(None, _not_cancellable(refusal, customer.pk, data["numbers"]))
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
                    last_day_in_use=data["effective_on"] - dt.timedelta(days=1),
                    quarantine_months=settings.SELFCARE_QUARANTINE_MONTHS,
                    numbers_text=" ".join(format_number(n) for n in data["numbers"]),  # 戻る refills them so
                    # rules.md, *monthly fee*: a number cancelled with effect on its issue day was held on no day.
                    same_day=[line.display for line in lines if line.issued_on == data["effective_on"]],
                )
                return TemplateResponse(request, "backoffice/cancellation_confirm.html", context)
        # This step records nothing: its button says where it leads.
        context["submit_label"] = _("Check before recording")
        return TemplateResponse(request, "backoffice/cancellation_form.html", {**context, "form": form})


def _received_before_issue(refusal: FormReceivedBeforeIssue, customer_id: int, data: dict[str, Any]) -> str:
    """The refusal naming every number of the form issued after it was received, not only the first."""
    if isinstance(refusal, FormReceivedBeforeIssues):
        return str(refusal)
    received_on: dt.date = data["received_on"]
    lines = IssuedLine.objects.not_cancelled().filter(customer_id=customer_id, number_id__in=data["numbers"])
    issued_after = [
        number_issued_on(format_number(line.number_id), f"{timezone.localdate(line.issued_at):%Y-%m-%d}")
        for line in lines.order_by("number_id")
        if received_on < timezone.localdate(line.issued_at)
    ]
    if len(issued_after) <= 1:  # the refusal names it already
        return str(refusal)
    return str(FormReceivedBeforeIssues(numbers=", ".join(issued_after), received_on=received_on.isoformat()))


def cancellation_refusals(customer_id: int, numbers: list[str]) -> str:
    """Why each of ``numbers`` cannot be cancelled for the customer: already cancelled (from when; the latest of
    their lines) or not theirs (held by another customer, or by nobody)."""
    cancelled = dict(
        IssuedLine.objects.filter(customer_id=customer_id, number_id__in=numbers, cancelled_on__isnull=False)
        .order_by("number_id", "cancelled_on")
        .values_list("number_id", "cancelled_on")
    )
    return ", ".join(
        number_already_cancelled(format_number(n), f"{cancelled[n]:%Y-%m-%d}")
        if n in cancelled
        else number_not_theirs(format_number(n))
        for n in sorted(numbers)
    )


def _not_cancellable(refusal: NumbersNotHeld, customer_id: int, numbers: list[str]) -> str:
    """For each number the customer does not hold, why: already cancelled (from when) or not theirs."""
    if isinstance(refusal, NumbersNotCancellable):
        return str(refusal)
    held = set(
        IssuedLine.objects.not_cancelled()
        .filter(customer_id=customer_id, number_id__in=numbers)
        .values_list("number_id", flat=True)
    )
    refused = [n for n in numbers if n not in held]
    return str(NumbersNotCancellable(numbers=cancellation_refusals(customer_id, refused)))


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


class PlanAtTheTimeFilter(admin.SimpleListFilter):
    """The plan an application was placed under, offered from the plans table: Django's own filter of a text
    column lists its values with a DISTINCT over every application."""

    title = _("plan at the time")
    parameter_name = "plan_code__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(plan.code, plan.name) for plan in Plan.objects.order_by("code")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(plan_code=self.value()) if self.value() else queryset


@admin.register(Application)
class ApplicationAdmin(IndexedSearchMixin, StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["application_number", "customer", "count", "monthly_fee_per_number", "plan", "placed_at"]
    list_filter = ["placed_at", PlanAtTheTimeFilter]
    search_fields = ["application_number", "customer__user__username", "customer__contract_name"]
    list_select_related = ["customer__user"]
    inlines = [ApplicationLineInline]
    # The plan by its name, as the list, its filter and the customer's page say it (not the stored code); the
    # idempotency key is the request's, not the customer's.
    fields = ["application_number", "customer", "count", "monthly_fee_per_number", "plan", "placed_at"]
    readonly_fields = ["plan"]
    change_list_template = "backoffice/application_changelist.html"

    search_with = staticmethod(by_customer_found)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        plan_name = Plan.objects.filter(code=OuterRef("plan_code")).values("name")[:1]
        return super().get_queryset(request).annotate(plan_name=Subquery(plan_name))

    @admin.display(description=_("plan at the time"), ordering="plan_code")
    def plan(self, application: Application) -> str:
        """The plan's name, as its filter offers it (the code is stored; a plan no longer there shows its code)."""
        return getattr(application, "plan_name", None) or application.plan_code

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
class IssuedLineAdmin(IndexedSearchMixin, StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
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
    list_select_related = ["number", "customer__user", "application"]
    # The registrar's digests are password equivalents: never on screen.
    exclude = ["service_pin_encrypted", "sip_password_encrypted", "sip_ha1", "sip_ha1b"]
    actions = ["reissue_sip_password"]

    search_with = staticmethod(partial(by_customer_found, number_field="number_id"))

    @admin.action(description=_("Reissue the IP phone password"), permissions=["reissue"])
    def reissue_sip_password(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """First a page of the numbers, their customer and what happens; only its button reissues (the old
        passwords stop at once and the customer's phones must be set up again)."""
        from selfcare.orders.selectors import SIP_REISSUE_MAX_LINES, sip_reissue_lines
        from selfcare.orders.services import sip_passwords_reissue

        line_ids = list(queryset.order_by("number_id").values_list("pk", flat=True)[: SIP_REISSUE_MAX_LINES + 1])
        if len(line_ids) > SIP_REISSUE_MAX_LINES:
            line_ids = list(queryset.values_list("pk", flat=True))  # the refusal says how many were selected
        try:
            if request.POST.get("post") != "yes":
                lines = sip_reissue_lines(line_ids=line_ids)
                context = {
                    **self.admin_site.each_context(request),
                    "title": _("Reissue these IP phone passwords?"),
                    "lines": lines,
                    "customer_label": lines[0].customer_label,
                    "opts": self.opts,
                    "action": "reissue_sip_password",
                }
                return TemplateResponse(request, "backoffice/reissue_confirm.html", context)
            reissued = sip_passwords_reissue(line_ids=line_ids, actor=staff_actor(request))
        except DomainError as refusal:
            messages.error(request, str(refusal))
            return None
        messages.success(
            request,
            _("Reissued the IP phone password of %(numbers)s; the old one no longer works. The letter is queued.")
            % {"numbers": ", ".join(format_number(r.number) for r in reissued)},
        )
        return None

    def has_reissue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.reissue_sip_password")
