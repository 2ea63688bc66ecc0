"""Customers' API keys and webhook endpoints: listed, and keys revoked, through the integrations services.

Neither the keys' hashes nor the endpoints' signing secrets are ever shown, filtered or searched.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from selfcare.backoffice.admin.base import IndexedSearchMixin, ReadOnlyMixin, StaffAdminMixin, StaffMedia, staff_actor
from selfcare.backoffice.search import by_customer_found
from selfcare.integrations.keys import api_key_revoke
from selfcare.integrations.models import ApiKey, WebhookEndpoint

KEY_FIELDS = (
    "prefix",
    "name",
    "customer",
    "scope_list",
    "allowed_networks",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
)
ENDPOINT_FIELDS = ("url", "description", "customer", "event_list", "created_at", "disabled_at")


class InUseFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("in_use", _("in use")), ("revoked", _("revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "in_use":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(IndexedSearchMixin, StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "customer",
        "scope_list",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [InUseFilter]
    list_select_related = ["customer__user"]
    fields = KEY_FIELDS
    readonly_fields = KEY_FIELDS
    actions = ["revoke"]
    search_with = staticmethod(by_customer_found)
    Media = StaffMedia

    @admin.display(description=_("scopes"))
    def scope_list(self, api_key: ApiKey) -> str:
        return ", ".join(api_key.scopes)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.revoke_apikey")  # type: ignore[union-attr]

    @admin.action(description=_("Revoke the selected API keys"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True).order_by("pk")[:1000]:
            api_key_revoke(key_id=api_key.pk, actor=staff_actor(request))
            revoked += 1
        messages.success(request, _("API keys revoked: %(count)d.") % {"count": revoked})


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(IndexedSearchMixin, StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["url", "customer", "event_list", "created_at", "disabled_at"]
    list_select_related = ["customer__user"]
    fields = ENDPOINT_FIELDS
    readonly_fields = ENDPOINT_FIELDS
    search_with = staticmethod(by_customer_found)
    Media = StaffMedia

    @admin.display(description=_("events"))
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)
