"""Staff accounts, roles and their authenticators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts.models import User
from selfcare.backoffice.admin.base import AuditedAdminMixin, StaffAdminMixin

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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Staff accounts only: a customer's login is the customer's, changed on the customer's page."""
        return super().get_queryset(request).filter(customer__isnull=True)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(StaffAdminMixin, TOTPDeviceAdmin):
    """django-otp's own page of the authenticators, its date filters handled as on every other list."""
