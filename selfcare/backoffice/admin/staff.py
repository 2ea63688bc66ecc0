"""Staff accounts, roles and their authenticators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts.models import User
from selfcare.backoffice.admin.base import AuditedAdminMixin, StaffAdminMixin
from selfcare.backoffice.names import role_name
from selfcare.backoffice.roles import ROLES

# Staff accounts and roles ---------------------------------------------------------------------

admin.site.unregister(Group)


class RoleFilter(admin.RelatedFieldListFilter):
    """The staff accounts' filter by role, the roles named in the staff member's language."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return sorted(((str(group.pk), role_name(group.name)) for group in Group.objects.all()), key=lambda c: c[1])


@admin.register(Group)
class RoleAdmin(StaffAdminMixin, AuditedAdminMixin, GroupAdmin):
    list_display = ["role"]

    @admin.display(description=_("role"), ordering="name")
    def role(self, group: Group) -> str:
        return role_name(group.name)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A role's group is found by its name after every migrate: renamed, it would come back as a new group.
        if obj is not None and obj.name in ROLES:
            return ["role"]
        return super().get_readonly_fields(request, obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.name in ROLES:
            return ["role", "permissions"]
        return super().get_fields(request, obj)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> Any:
        group = self.get_object(request, object_id) if object_id else None
        title = _("Add a role") if object_id is None else _("Change a role")  # Django's says グループ
        extra_context = {"title": title, **(extra_context or {})}
        if group is not None:
            extra_context = {"subtitle": role_name(group.name), **extra_context}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> Any:
        group = self.get_object(request, object_id)
        if group is not None:
            title = _("Change history: %s") % role_name(group.name)
            extra_context = {"title": title, "subtitle": None, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class StaffUserAdmin(StaffAdminMixin, AuditedAdminMixin, UserAdmin):
    list_display = ["username", "email", "is_staff", "is_superuser", "is_active", "locked_until"]
    list_filter = ["is_staff", "is_superuser", "is_active", ("groups", RoleFilter)]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":  # the staff site calls them roles (its menu, the roles' pages)
            kwargs["widget"] = FilteredSelectMultiple(_("roles"), is_stacked=False)
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label = _("Roles")
            field.help_text = _("A staff user may do what each of their roles allows.")
            return field
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Staff accounts only (along their partial index): a customer's login is the customer's, changed on
        the customer's page, and there are hundreds of thousands of them."""
        return super().get_queryset(request).filter(is_staff=True)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:  # an account added here is a staff account (customers are added on the customers' page)
            obj.is_staff = True
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(TOTPDevice)


def _titled(filter_class: type, title: Any) -> type:
    """A date or boolean filter of a django-otp field under a title in the staff member's language (the
    field's own name is English and not translatable)."""

    class Titled(filter_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


# django-otp's fields and sections have English names only; the staff site shows them in its own words.
_DEVICE_LABELS = {
    "user": _("staff user"),
    "name": _("name of the authenticator"),
    "confirmed": _("confirmed"),
    "created_at": _("registered"),
    "last_used_at": _("last used"),
    "key": _("secret key"),
    "step": _("time step (seconds)"),
    "t0": _("start of the time steps"),
    "digits": _("digits"),
    "tolerance": _("steps allowed either side"),
    "drift": _("clock drift (steps)"),
    "throttling_failure_timestamp": _("last wrong code"),
    "throttling_failure_count": _("wrong codes in a row"),
    "qrcode_link": _("QR code"),
}
_DEVICE_HELP = {
    "user": _("The staff user who signs in with this app."),
    "name": _("A name to tell this app from others, e.g. the phone it is on."),
    "confirmed": _("Only a confirmed app's codes are accepted."),
    "key": _("The secret the app shares with the site, in hexadecimal: never to be shown to anyone."),
    "step": _("How long each code is valid, in seconds."),
    "t0": _("The Unix time the steps are counted from."),
    "digits": _("How many digits a code has."),
    "tolerance": _("How many codes before and after the current one are accepted."),
    "drift": _("How many steps the app's clock is known to be off."),
    "throttling_failure_timestamp": _("When a wrong code was last entered; empty after a right one."),
    "throttling_failure_count": _("Wrong codes entered in a row."),
}
_DEVICE_SECTIONS = {
    "Identity": _("Authenticator"),
    "Timestamps": _("Dates"),
    "Configuration": _("Settings"),
    "State": _("State"),
    "Throttling": _("Wrong codes"),
}


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(StaffAdminMixin, TOTPDeviceAdmin):
    """django-otp's own page of the authenticators, its date filters handled as on every other list, its
    columns, filters, sections and fields named in the staff member's language."""

    list_display = ["device_user", "device_name", "registered", "last_used", "is_confirmed"]
    list_filter = [
        ("created_at", _titled(admin.DateFieldListFilter, _("registered"))),
        ("last_used_at", _titled(admin.DateFieldListFilter, _("last used"))),
        ("confirmed", _titled(admin.BooleanFieldListFilter, _("confirmed"))),
    ]
    search_help_text = _("Search by the staff user's ID or e-mail address.")
    change_list_template = "backoffice/totpdevice_changelist.html"

    @admin.display(description=_("staff user"), ordering="user__username")
    def device_user(self, device: TOTPDevice) -> str:
        return str(device.user)

    @admin.display(description=_("name of the authenticator"), ordering="name")
    def device_name(self, device: TOTPDevice) -> str:
        return device.name

    @admin.display(description=_("registered"), ordering="created_at")
    def registered(self, device: TOTPDevice) -> Any:
        return _local(device.created_at)

    @admin.display(description=_("last used"), ordering="last_used_at")
    def last_used(self, device: TOTPDevice) -> Any:
        return _local(device.last_used_at)

    @admin.display(description=_("confirmed"), boolean=True, ordering="confirmed")
    def is_confirmed(self, device: TOTPDevice) -> bool:
        return bool(device.confirmed)

    @admin.display(description=_("QR code"))
    def qr_code(self, device: TOTPDevice) -> Any:
        return self.qrcode_link(device)

    readonly_fields = ["registered", "last_used", "qr_code"]
    _RENAMED = {"created_at": "registered", "last_used_at": "last_used", "qrcode_link": "qr_code"}

    def get_list_display(self, request: HttpRequest) -> Any:
        return [self._RENAMED.get(name, name) for name in super().get_list_display(request)]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            (
                _DEVICE_SECTIONS.get(title, title) if title else title,
                {**options, "fields": [self._RENAMED.get(name, name) for name in options["fields"]]},
            )
            for title, options in super().get_fieldsets(request, obj)
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        return super().changelist_view(request, {"title": _("Authenticator apps"), **(extra_context or {})})

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> Any:
        title = _("Add an authenticator app") if object_id is None else _("Authenticator app")
        return super().changeform_view(request, object_id, form_url, {"title": title, **(extra_context or {})})

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        for name, field in form.base_fields.items():
            if name in _DEVICE_LABELS:
                field.label = _DEVICE_LABELS[name]
            field.help_text = _DEVICE_HELP.get(name, "")
        return form


def _local(moment: Any) -> str:
    """A time in the carrier's zone: a read-only field would show the stored UTC value as it is."""
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s") if moment else "-"
