from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Django's own page titles, translated again in this project's catalogue (which Django reads first): its Japanese
# puts spaces around the model's name (「変更する 契約者 を選択」, 「契約者 を変更」); ours read 「契約者の一覧」,
# 「契約者の変更」. Listed here so that the catalogue keeps them.
DJANGO_TITLES = (
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
    gettext_noop("Select %s"),
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
)


class StaffSite(admin.AdminSite):
    """The back office: staff only, and only after a second factor (an authenticator app's code)."""

    site_header = _("050 self-care back office")
    site_title = _("050 self-care back office")
    index_title = _("Dashboard")
    index_template = "backoffice/dashboard.html"

    @property
    def login_form(self):  # type: ignore[override]
        from selfcare.backoffice.forms import StaffAuthenticationForm

        return StaffAuthenticationForm

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Every model admin, its own or another app's, filters only on what its list's filters use."""
        from selfcare.backoffice.lookups import strict

        super().register(model_or_iterable, strict(admin_class or admin.ModelAdmin), **options)

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        user = request.user
        if not (user.is_active and user.is_staff and user.is_verified()):  # type: ignore[union-attr,attr-defined]
            # Before the second factor nothing of the site shows, not even what it holds.
            context.update(available_apps=[], is_nav_sidebar_enabled=False)
        return context

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            for model in app["models"]:
                model["name"] = _MODEL_NAMES.get((app["app_label"], model["object_name"].lower()), model["name"])
        return apps if app_label is not None else _staff_section_apart(apps)

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(super().has_permission(request) and user.is_verified())  # type: ignore[union-attr,attr-defined]

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not user.is_verified():  # type: ignore[union-attr,attr-defined]
            return redirect("admin:otp")
        return super().login(request, extra_context)

    def get_urls(self) -> list:
        from selfcare.backoffice import views

        extra = [
            path("otp/", views.otp_view, name="otp"),
            path("otp/logout/", views.otp_logout_view, name="otp_logout"),
            path("enrolment-code/", self.admin_view(views.enrolment_code_view), name="staff_enrolment_code"),
            path("r/<int:content_type_id>/<path:object_id>/", self.admin_view(views.view_on_site), name="view_on_site"),
        ]
        return extra + super().get_urls()

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        from selfcare.backoffice.views import StaffAutocompleteJsonView

        return cast(HttpResponse, StaffAutocompleteJsonView.as_view(admin_site=self)(request))

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from selfcare.backoffice.dashboard import dashboard_context

        return super().index(request, {**dashboard_context(), **(extra_context or {})})


# Staff accounts (accounts.User) and roles (auth.Group) have a section of their own, not among customers.
_STAFF_MODELS = {("accounts", "user"), ("auth", "group")}
# Models named on the staff site in its own words: django-otp's are English only; "users" here are staff.
_MODEL_NAMES = {
    ("otp_totp", "totpdevice"): _("Authenticator apps"),
    ("accounts", "user"): _("Staff users"),
    ("auth", "group"): _("Roles"),
}


def staff_crumbs(opts: Any) -> tuple[str, str, str]:
    """(section, its URL or "" for the app's own page, the model's plural) as the menu shows a model's pages:
    the breadcrumbs of Django's admin would put staff users under customers and name django-otp's in English."""
    key = (opts.app_label, opts.model_name)
    plural = str(_MODEL_NAMES.get(key, opts.verbose_name_plural))
    if key in _STAFF_MODELS:
        return str(_("Staff and roles")), reverse("admin:accounts_user_changelist"), plural
    return str(opts.app_config.verbose_name), "", plural


def _staff_section_apart(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    staff_models: list[dict[str, Any]] = []
    others = []
    for app in apps:
        mine = [m for m in app["models"] if (app["app_label"], m["object_name"].lower()) in _STAFF_MODELS]
        staff_models.extend(mine)
        app["models"] = [m for m in app["models"] if m not in mine]
        if app["models"]:
            others.append(app)
    if not staff_models:
        return others
    staff_models.sort(key=lambda model: model["object_name"] != "User")  # staff accounts first, then roles
    section = {
        "name": _("Staff and roles"),
        "app_label": "staff",
        "app_url": staff_models[0]["admin_url"],
        "has_module_perms": True,
        "models": staff_models,
    }
    return [*others, section]
