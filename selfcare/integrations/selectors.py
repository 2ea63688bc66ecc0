"""A customer's own keys, endpoints and deliveries (invariant 7: every read is filtered by the customer)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from selfcare.integrations.models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def api_keys_of_customer(*, customer_id: int) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(customer_id=customer_id).order_by("revoked_at", "-created_at", "-id")


def webhook_endpoints_of_customer(*, customer_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(customer_id=customer_id).order_by("disabled_at", "-created_at", "-id")


def webhook_endpoint_of_customer(*, customer_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(customer_id=customer_id, pk=endpoint_id).first()


def deliveries_of_endpoint(*, endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, each with its attempts in order."""
    return list(
        endpoint.deliveries.order_by("-created_at", "-id").prefetch_related(
            Prefetch("attempt_rows", queryset=WebhookAttempt.objects.order_by("number"))
        )[:limit]
    )
