"""Every row lock this app takes (docs/concurrency.md): endpoints, in ascending id, for key rotation only."""

from __future__ import annotations

from selfcare.core.locking import bounded_lock_wait
from selfcare.integrations.models import WebhookEndpoint


def endpoints_to_rotate_lock() -> list[WebhookEndpoint]:
    with bounded_lock_wait():
        return list(WebhookEndpoint.objects.select_for_update().order_by("pk"))
