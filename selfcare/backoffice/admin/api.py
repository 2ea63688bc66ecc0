"""Customers' API keys and webhook endpoints: listed, and keys revoked, through the integrations services.

Neither the keys' hashes nor the endpoints' signing secrets are ever shown, filtered or searched.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from selfcare.backoffice.admin.base import IndexedSearchMixin, ReadOnlyMixin, StaffAdminMixin, StaffMedia, staff_actor
from selfcare.backoffice.search import by_customer_found
from selfcare.integrations import selectors
from selfcare.integrations.display import event_labels, scope_labels
from selfcare.integrations.keys import api_key_revoke
from selfcare.integrations.models import ApiKey, WebhookEndpoint

EMPTY = "—"
LATEST_DELIVERIES = 20

KEY_FIELDS = (
    "key_prefix",
    "name",
    "customer",
    "scope_list",
    "network_list",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
)
ENDPOINT_FIELDS = ("url", "description", "customer", "event_list", "created_at", "disabled_at", "latest_deliveries")


def _lines(items: list[str]) -> SafeString | str:
    """One item a line (in lists too: a comma-separated run wraps anywhere)."""
    if not items:
        return EMPTY
    return format_html_join(mark_safe("<br>"), "{}", ((item,) for item in items))


def _labelled(labels: list) -> SafeString | str:
    return _lines([f"{label.text} ({label.code})" for label in labels])


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
        "key_prefix",
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
    empty_value_display = EMPTY
    Media = StaffMedia

    @admin.display(description=_("key prefix"), ordering="prefix")
    def key_prefix(self, api_key: ApiKey) -> SafeString:
        return format_html('<code class="nowrap">{}</code>', api_key.prefix)

    @admin.display(description=_("scopes"))
    def scope_list(self, api_key: ApiKey) -> SafeString | str:
        return _labelled(scope_labels(api_key.scopes))

    @admin.display(description=_("allowed client addresses"))
    def network_list(self, api_key: ApiKey) -> SafeString | str:
        return _lines(list(api_key.allowed_networks or []))

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
    empty_value_display = EMPTY
    Media = StaffMedia

    @admin.display(description=_("events"))
    def event_list(self, endpoint: WebhookEndpoint) -> SafeString | str:
        return _labelled(event_labels(endpoint.events))

    @admin.display(description=_("Latest deliveries and each attempt"))
    def latest_deliveries(self, endpoint: WebhookEndpoint) -> SafeString | str:
        """The endpoint's latest deliveries, each attempt with its time and answer (read-only)."""
        deliveries = selectors.deliveries_of_endpoint(endpoint=endpoint, limit=LATEST_DELIVERIES)
        if not deliveries:
            return EMPTY
        rows = format_html_join(
            "",
            '<tr><td class="nowrap">{}</td><td>{}</td><td><code>{}</code></td>'
            '<td class="nowrap">{}</td><td>{}</td></tr>',
            (
                (
                    _when(delivery.created_at),
                    event_labels([delivery.event_type])[0].text,
                    delivery.message_id,
                    delivery.get_state_display(),
                    _attempts(delivery),
                )
                for delivery in deliveries
            ),
        )
        return format_html(
            '<table class="deliveries"><thead><tr><th>{}</th><th>{}</th><th>webhook-id</th><th>{}</th><th>{}</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            _("occurred"),
            _("event"),
            _("state"),
            _("attempts"),
            rows,
        )


def _when(at: Any) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def _attempts(delivery: Any) -> SafeString | str:
    attempts = list(delivery.attempt_rows.all())
    if not attempts:
        return EMPTY
    return format_html_join(
        mark_safe("<br>"),
        '<span class="nowrap">{}. {} {}</span>',
        (
            (
                attempt.number,
                _when(attempt.at),
                f"HTTP {attempt.status_code}" if attempt.status_code else attempt.outcome,
            )
            for attempt in attempts
        ),
    )
