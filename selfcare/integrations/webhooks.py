"""Webhook endpoints, the events announced to them, and their signed delivery by the durable job queue.

An event is recorded in the transaction of the change it tells of (``event_emit``): one delivery
per endpoint that wants it, and a job to send it, so nothing is sent for a change that rolled back,
nor before it committed. Each delivery is one Standard Webhooks message: ``webhook-id`` (the same
on every attempt), ``webhook-timestamp`` and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
``id.timestamp.body`` under the endpoint's secret). A payload names what happened, never a secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from standardwebhooks.webhooks import Webhook

from selfcare.accounts.lock_objects import customer_lock
from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock, crypto
from selfcare.integrations import outbound
from selfcare.integrations.errors import (
    EventsMissing,
    TooManyEndpoints,
    WebhookEndpointNotFound,
)
from selfcare.integrations.models import EVENTS, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from selfcare.jobs import enqueue, job

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_DESCRIPTION = 100


@dataclass(frozen=True)
class EndpointMade:
    endpoint: WebhookEndpoint
    secret: str
    """``whsec_`` + base64 of 32 random bytes: shown once, stored encrypted."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_endpoint_create(
    *, customer_id: int, url: str, events: list[str], actor: Actor, description: str = ""
) -> EndpointMade:
    """Register an endpoint after checking where its URL leads; its signing secret is returned once.

    Raises WebhookUrlRefused, EventsMissing or TooManyEndpoints.
    """
    url = (url or "").strip()
    outbound.target_check(url)
    chosen = [event for event in EVENTS if event in set(events)]
    if not chosen or set(events) - set(EVENTS):
        raise EventsMissing()
    secret = new_secret()
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        active = WebhookEndpoint.objects.filter(customer=customer, disabled_at__isnull=True).count()
        if active >= settings.SELFCARE_WEBHOOK_ENDPOINTS_PER_CUSTOMER:
            raise TooManyEndpoints(maximum=settings.SELFCARE_WEBHOOK_ENDPOINTS_PER_CUSTOMER)
        endpoint = WebhookEndpoint.objects.create(
            customer=customer,
            url=url,
            description=(description or "").strip()[:MAX_DESCRIPTION],
            events=chosen,
            secret_encrypted=crypto.encrypt(secret),
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="webhook.registered",
            customer=customer,
            target=f"webhook:{endpoint.pk}",
            detail={"url": url, "events": chosen},
        )
    return EndpointMade(endpoint=endpoint, secret=secret)


def webhook_endpoint_remove(*, customer_id: int, endpoint_id: int, actor: Actor) -> None:
    """Stop sending to an endpoint (its deliveries stay visible). Raises WebhookEndpointNotFound."""
    with transaction.atomic(durable=True):
        removed = WebhookEndpoint.objects.filter(
            pk=endpoint_id, customer_id=customer_id, disabled_at__isnull=True
        ).update(disabled_at=clock.now())
        if not removed:
            raise WebhookEndpointNotFound()
        audit_record(actor=actor, action="webhook.removed", customer_id=customer_id, target=f"webhook:{endpoint_id}")


def webhook_secret_rotate(*, customer_id: int, endpoint_id: int, actor: Actor) -> str:
    """A new signing secret for an endpoint, returned once; deliveries from now on are signed with it."""
    secret = new_secret()
    with transaction.atomic(durable=True):
        rotated = WebhookEndpoint.objects.filter(
            pk=endpoint_id, customer_id=customer_id, disabled_at__isnull=True
        ).update(secret_encrypted=crypto.encrypt(secret))
        if not rotated:
            raise WebhookEndpointNotFound()
        audit_record(
            actor=actor,
            action="webhook.secret_rotated",
            customer_id=customer_id,
            target=f"webhook:{endpoint_id}",
        )
    return secret


def event_emit(*, customer_id: int, event_type: str, event_key: str, data: dict[str, Any]) -> int:
    """Announce an event to the customer's endpoints that want it, in the caller's transaction.

    ``event_key`` names the event once (``application.completed:261124-7KQ3M9XA``): announcing it
    again sends nothing more. ``data`` must hold no secret. Returns the deliveries made.
    """
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(customer_id=customer_id, disabled_at__isnull=True)
        if event_type in endpoint.events
    ]
    if not endpoints:
        return 0
    now = clock.now()
    made = 0
    for endpoint in endpoints:
        message_id = "msg_" + secrets.token_urlsafe(18)
        payload = {"type": event_type, "timestamp": now.isoformat(timespec="seconds"), "data": data}
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint,
                    message_id=message_id,
                    event_type=event_type,
                    event_key=event_key[:100],
                    payload=payload,
                    created_at=now,
                )
        except IntegrityError:
            continue  # announced before
        enqueue(webhook_deliver, delivery_id=delivery.pk)
        made += 1
    return made


def signed_headers(*, secret: str, message_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The three Standard Webhooks headers (the library signs; it reads the time as UTC)."""
    utc = at.astimezone(dt.UTC).replace(tzinfo=None)
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=utc, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


class DeliveryFailed(Exception):
    """This attempt failed; the job queue tries again later (its backoff)."""


@job(max_attempts=MAX_ATTEMPTS, backoff_seconds=30, backoff_max_seconds=3600)
def webhook_deliver(delivery_id: int) -> None:
    """Send one delivery once more, unless delivered or given up; record the attempt for the customer."""
    webhook_attempt(delivery_id=delivery_id)


def webhook_attempt(*, delivery_id: int) -> str:
    """One attempt at a delivery; returns its state afterwards. Raises DeliveryFailed to be tried again."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
        return delivery.state if delivery is not None else "gone"
    endpoint = delivery.endpoint
    if endpoint.disabled_at is not None:
        WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.PENDING).update(
            state=WebhookDelivery.State.FAILED
        )
        return WebhookDelivery.State.FAILED
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    at = clock.now()
    headers = signed_headers(
        secret=crypto.decrypt(endpoint.secret_encrypted), message_id=delivery.message_id, body=body, at=at
    )
    reply = outbound.post(endpoint.url, body=body.encode(), headers=headers)
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
        number = WebhookDelivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            at=at,
            status_code=reply.status,
            outcome=reply.outcome,
            error=reply.error,
            duration_ms=reply.duration_ms,
        )
        if reply.outcome == "delivered":
            state = WebhookDelivery.State.DELIVERED
        elif number >= MAX_ATTEMPTS:
            state = WebhookDelivery.State.FAILED
        else:
            state = WebhookDelivery.State.PENDING
        WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.PENDING).update(
            state=state, delivered_at=at if state == WebhookDelivery.State.DELIVERED else None
        )
    if state == WebhookDelivery.State.PENDING:
        raise DeliveryFailed(f"webhook delivery {delivery.pk}: attempt {number} {reply.outcome}")
    return state
