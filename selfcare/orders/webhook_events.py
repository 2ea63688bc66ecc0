"""The events orders announces to a customer's webhook endpoints (``integrations.webhooks.event_emit``).

Each is recorded in the transaction of the change it tells of, and names what happened, never a
password. ``number.cancelled`` is announced when the cancellation takes effect, which may be days
after it was recorded: ``number_cancelled_events_emit`` runs periodically and announces each line
whose cancellation is in effect, once (the delivery's event key is unique per endpoint).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from selfcare.core import clock
from selfcare.integrations.models import (
    EVENT_APPLICATION_COMPLETED,
    EVENT_NUMBER_CANCELLED,
    EVENT_SIP_PASSWORD_REISSUED,
    WebhookEndpoint,
)
from selfcare.integrations.webhooks import event_emit
from selfcare.jobs import job
from selfcare.orders.models import Application, IssuedLine


def application_completed(*, application: Application, numbers: list[str]) -> None:
    event_emit(
        customer_id=application.customer_id,
        event_type=EVENT_APPLICATION_COMPLETED,
        event_key=f"{EVENT_APPLICATION_COMPLETED}:{application.application_number}",
        data={
            "application_number": application.application_number,
            "placed_at": application.placed_at.isoformat(),
            "count": application.count,
            "monthly_fee_per_number": application.monthly_fee_per_number,
            "numbers": sorted(numbers),
        },
    )


def sip_password_reissued(*, line: IssuedLine, reissued_at: dt.datetime) -> None:
    event_emit(
        customer_id=line.customer_id,
        event_type=EVENT_SIP_PASSWORD_REISSUED,
        event_key=f"{EVENT_SIP_PASSWORD_REISSUED}:{line.pk}:{reissued_at.isoformat()}",
        data={"number": line.number_id, "reissued_at": reissued_at.isoformat()},
    )


def number_cancelled_events_emit(*, today: dt.date | None = None) -> int:
    """Announce every cancellation in effect by ``today`` that an endpoint has not been told of; the count.

    Only cancellations that took effect after the endpoint was registered are announced. Safe to
    run as often as wished: each (endpoint, line) is announced once.
    """
    today = today or clock.today()
    made = 0
    endpoints = WebhookEndpoint.objects.filter(disabled_at__isnull=True).order_by("pk")
    for endpoint in endpoints:
        if EVENT_NUMBER_CANCELLED not in endpoint.events:
            continue
        since = timezone.localdate(endpoint.created_at)
        lines = (
            IssuedLine.objects.filter(
                customer_id=endpoint.customer_id, cancelled_on__lte=today, cancelled_on__gte=since
            )
            .exclude(pk__in=_announced(endpoint))
            .select_related("application")
            .order_by("cancelled_on", "number_id")
        )
        for line in lines[:1000]:
            assert line.cancelled_on is not None
            with transaction.atomic():
                made += event_emit(
                    customer_id=line.customer_id,
                    event_type=EVENT_NUMBER_CANCELLED,
                    event_key=f"{EVENT_NUMBER_CANCELLED}:{line.pk}",
                    data={
                        "number": line.number_id,
                        "cancelled_on": line.cancelled_on.isoformat(),
                        "application_number": line.application.application_number,
                    },
                )
    return made


def _announced(endpoint: WebhookEndpoint) -> list[int]:
    keys = endpoint.deliveries.filter(event_type=EVENT_NUMBER_CANCELLED).values_list("event_key", flat=True)
    return [int(key.rsplit(":", 1)[1]) for key in keys]


@job(max_attempts=3, backoff_seconds=60)
def number_cancelled_events() -> int:
    """Every 10 minutes (selfcare/jobs/schedules.py): announce the cancellations that have taken effect."""
    return number_cancelled_events_emit()
