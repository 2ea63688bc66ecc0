"""Customers and plans."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from selfcare.accounts import services as account_services
from selfcare.accounts.models import Customer, Plan
from selfcare.audit.models import AuditEntry
from selfcare.backoffice import customer_page
from selfcare.backoffice.admin.audit import audit_detail
from selfcare.backoffice.admin.base import (
    AuditedAdminMixin,
    IndexedSearchMixin,
    ReadOnlyMixin,
    StaffAdminMixin,
    StaffMedia,
    no_store,
    staff_actor,
)
from selfcare.backoffice.audit_detail import target_text
from selfcare.backoffice.audit_labels import action_label
from selfcare.backoffice.forms import CustomerChangeForm, CustomerCreateForm
from selfcare.backoffice.search import Kind, customers_found, recognise
from selfcare.core import clock
from selfcare.core.errors import DomainError
from selfcare.letters.credentials import credentials_letter_waiting
from selfcare.letters.models import Letter
from selfcare.orders.models import Application, IssuedLine

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
        "plan_name",
    )
    readonly_fields = fields
    plan_name = staticmethod(customer_page.application_plan)
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
class AuditInline(ReadOnlyMixin, admin.TabularInline):
    model = AuditEntry
    fields = (
        "at",
        "actor_label",
        "ip_address",
        "action_label",
        "target_display",
        "detail_lines",
    )
    readonly_fields = fields
    detail_lines = staticmethod(audit_detail)

    @admin.display(description=_("action"))
    def action_label(self, entry: AuditEntry) -> str:
        return action_label(entry.action, entry.detail)

    @admin.display(description=_("target"))
    def target_display(self, entry: AuditEntry) -> str:
        """As the audit log shows it: a number as 050-xxxx-xxxx, a webhook or letter in words."""
        return target_text(entry.target)

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


class PlanFilter(admin.RelatedFieldListFilter):
    """Plans by name: ``name (code)`` made the filter and the list's column too wide for a 1366 px screen."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(plan.pk), plan.name) for plan in Plan.objects.order_by("name")]


@admin.register(Customer)
class CustomerAdmin(IndexedSearchMixin, StaffAdminMixin, admin.ModelAdmin):
    Media = StaffMedia

    form = CustomerChangeForm
    list_display = [
        "selfcare_id",
        "contract_name",
        "email",
        "plan_name",
        "numbers_added_total",
        "addition_limit",
        "status",
        "locked",
    ]
    list_filter = ["status", ("plan", PlanFilter), LockedFilter]
    search_fields = ["user__username", "contract_name", "user__email", "=lines__number__number"]
    list_select_related = ["user", "plan"]
    readonly_fields = ["selfcare_id", "numbers_added_total", "created_at", "locked", "password_change"]
    inlines = [LineInline, ApplicationInline, LetterInline, AuditInline]
    actions = ["unlock", "password_letter", "suspend", "reactivate"]
    change_form_template = "backoffice/customer_change_form.html"
    fields = [
        "selfcare_id",
        "contract_name",
        "email",
        "postal_code",
        "address",
        "plan",
        "addition_limit",
        "numbers_added_total",
        "status",
        "locked",
        "password_change",
        "created_at",
    ]
    password_change = staticmethod(customer_page.password_change)

    search_with = staticmethod(customers_found)

    # Searched by a whole 050 number, the list finds every customer who ever held it: a column says who holds
    # it now (a cancellation not yet in effect included, rules.md "held") and who held it before.
    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = recognise(search_term)
        if term.kind is Kind.NUMBER:
            lines = IssuedLine.objects.filter(customer=OuterRef("pk"), number_id=term.text).order_by("-issued_at")
            queryset = queryset.annotate(
                number_held=Exists(lines.live()), number_cancelled_on=Subquery(lines.values("cancelled_on")[:1])
            )
        return queryset, may_have_duplicates

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_display(request))
        if recognise(request.GET.get(SEARCH_VAR, "")).kind is Kind.NUMBER:
            return [shown[0], "number_holding", *shown[1:]]
        return shown

    @admin.display(description=_("the number searched"))
    def number_holding(self, obj: Customer) -> Any:
        held = getattr(obj, "number_held", None)
        if held is None:
            return "-"
        cancelled_on = getattr(obj, "number_cancelled_on", None)
        on = date_format(cancelled_on, "Y-m-d") if cancelled_on else ""
        if held and cancelled_on:
            return format_html("<strong>{}</strong>", _("current holder (cancelled from %(date)s)") % {"date": on})
        if held:
            return format_html("<strong>{}</strong>", _("current holder"))
        return _("past holder (cancelled from %(date)s)") % {"date": on}

    @admin.display(description=_("Self-care ID"), ordering="user__username")
    def selfcare_id(self, obj: Customer) -> str:
        return obj.selfcare_id

    # 追加番号数 is an application's count (the manual's word); the customer's running total is named apart.
    @admin.display(description=_("numbers added in total"), ordering="numbers_added")
    def numbers_added_total(self, obj: Customer) -> int:
        return obj.numbers_added

    @admin.display(description=_("plan"), ordering="plan__name")
    def plan_name(self, obj: Customer) -> str:
        return obj.plan.name

    @admin.display(description=_("registered e-mail"))
    def email(self, obj: Customer) -> str:
        return obj.user.email

    @admin.display(description=_("login locked until"))
    def locked(self, obj: Customer) -> Any:
        # A lock that has run out is no lock: the stored time stays until the next login, but is not shown.
        until = obj.user.locked_until
        return until if until is not None and until > clock.now() else "—"

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
                # rules.md, *letter*: the generated password reaches the customer by post only, never on screen.
                letter = (
                    Letter.objects.filter(customer=created.customer, kind=Letter.Kind.SELFCARE_CREDENTIALS)
                    .order_by("-pk")
                    .first()
                )
                context = {
                    **self.admin_site.each_context(request),
                    "title": _("Customer created"),
                    "customer": created.customer,
                    "letter": letter,
                    "opts": self.opts,
                }
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

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Customer | None = None,
    ) -> HttpResponse:
        # A customer is added on a page of its own (it says where the initial password is posted): no "save and add
        # another" here. "Save and continue editing" stays: it keeps the customer's numbers and trail in view.
        context["show_save_and_add_another"] = False
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:  # read-only inlines: nothing changes, but the admin expects them saved
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Unlock the login of the selected customers"), permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet) -> None:
        for customer in queryset:
            account_services.customer_unlock(customer_id=customer.pk, actor=staff_actor(request))
        messages.success(request, _("Unlocked %(n)d customers.") % {"n": queryset.count()})

    @admin.action(description=_("Post a new initial password"), permissions=["unlock"])
    def password_letter(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """For a customer who phoned about a forgotten password: first a page of what it does, then its button."""
        customers = list(queryset.select_related("user").order_by("user__username"))
        waiting = {c.pk for c in customers if credentials_letter_waiting(customer_id=c.pk)}
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Post a new initial password?"),
                "to_send": [c for c in customers if c.pk not in waiting],
                "waiting": [c for c in customers if c.pk in waiting],
                "ids": [c.pk for c in customers],
                "opts": self.opts,
                "action": "password_letter",
            }
            return TemplateResponse(request, "backoffice/password_letter_confirm.html", context)
        sent: list[str] = []
        refused: list[str] = []
        for customer in customers:
            queued = account_services.customer_password_letter_send(customer_id=customer.pk, actor=staff_actor(request))
            (sent if queued else refused).append(customer.selfcare_id)
        if sent:
            messages.success(
                request,
                _(
                    "A letter with a new initial password is queued for %(ids)s: print and post it from the letter"
                    " queue. The customer's registered address is told."
                )
                % {"ids": ", ".join(sent)},
            )
        if refused:
            messages.error(
                request,
                _(
                    "Nothing was queued for %(ids)s: a self-care ID letter is already waiting to be posted. Post"
                    " that one (it carries the newest password)."
                )
                % {"ids": ", ".join(refused)},
            )
        return None

    @admin.action(description=_("Suspend the selected customers"), permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """First a page of the customers and what suspension does; only its button suspends them."""
        customers = list(queryset.select_related("user").order_by("user__username"))
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Suspend these customers?"),
                "to_suspend": [c for c in customers if c.status != Customer.Status.SUSPENDED],
                "already_suspended": [c for c in customers if c.status == Customer.Status.SUSPENDED],
                "ids": [c.pk for c in customers],
                "opts": self.opts,
                "action": "suspend",
            }
            return TemplateResponse(request, "backoffice/suspend_confirm.html", context)
        for customer in customers:
            account_services.customer_set_status(
                customer_id=customer.pk, status=Customer.Status.SUSPENDED, actor=staff_actor(request)
            )
        messages.success(request, _("Suspended %(n)d customers.") % {"n": len(customers)})
        return None

    @admin.action(description=_("Make the selected customers active again"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        for customer in queryset:
            account_services.customer_set_status(customer_id=customer.pk, status="active", actor=staff_actor(request))

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.unlock_customer")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(StaffAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "monthly_fee_per_number", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
