"""Signed webhooks against a local receiver that verifies each signature (Standard Webhooks)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook

from selfcare.core import clock
from selfcare.integrations.errors import WebhookUrlRefused
from selfcare.integrations.models import WebhookAttempt, WebhookDelivery
from selfcare.integrations.webhooks import (
    MAX_ATTEMPTS,
    DeliveryFailed,
    webhook_attempt,
    webhook_endpoint_create,
    webhook_endpoint_remove,
)
from selfcare.orders.errors import PoolShort
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add, numbers_cancel, sip_password_reissue
from selfcare.orders.webhook_events import number_cancelled_events_emit
from selfcare.testing import TEST_ACTOR

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 that verifies every message with the endpoint's secret."""

    def __init__(self) -> None:
        self.secret = ""
        self.status = 204
        self.received: list[dict] = []
        self.refused: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                except Exception as exc:
                    receiver.refused.append(str(exc))
                    self.send_response(400)
                else:
                    receiver.received.append({"headers": dict(self.headers), "payload": payload, "raw": body})
                    self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/selfcare"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.SELFCARE_WEBHOOK_ALLOW_PRIVATE = True
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def endpoint(customer, receiver):
    made = webhook_endpoint_create(
        customer_id=customer.pk,
        url=receiver.url,
        events=["application.completed", "number.cancelled", "sip_password.reissued"],
        actor=TEST_ACTOR,
    )
    receiver.secret = made.secret
    return made.endpoint


def deliver_all() -> None:
    for delivery in WebhookDelivery.objects.filter(state="pending"):
        webhook_attempt(delivery_id=delivery.pk)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://user:pw@example.com/hook",
        "https://no-such-host.invalid/hook",
        "ftp://example.com/",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[2002:7f00:1::]/hook",  # 6to4 around 127.0.0.1
        "https://[2002:c0a8:1::1]/hook",  # 6to4 around 192.168.0.1
        "https://[64:ff9b::a00:1]/hook",  # NAT64 around 10.0.0.1
        "https://[64:ff9b:1::1]/hook",  # local-use NAT64
        "https://[fec0::1]/hook",  # site-local
        "https://[3fff::1]/hook",  # documentation (RFC 9637)
    ],
)
def test_endpoints_leading_inside_or_not_https_are_refused(customer, url):
    with pytest.raises(WebhookUrlRefused):
        webhook_endpoint_create(customer_id=customer.pk, url=url, events=["application.completed"], actor=TEST_ACTOR)


def test_a_public_address_inside_ipv6_is_still_allowed():
    from selfcare.integrations.outbound import address_allowed

    assert address_allowed(ipaddress.ip_address("2002:5db8:d822::1"))  # 6to4 around 93.184.216.34
    assert address_allowed(ipaddress.ip_address("64:ff9b::5db8:d822"))  # NAT64 around 93.184.216.34
    assert address_allowed(ipaddress.ip_address("2606:4700::1111"))


def test_an_application_is_announced_signed_after_commit_without_passwords(customer, pool, endpoint, receiver):
    placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="w1", actor=TEST_ACTOR)

    delivery = WebhookDelivery.objects.get()
    assert DBTaskResult.objects.filter(
        task_path__endswith="webhook_deliver", args_kwargs__kwargs__delivery_id=delivery.pk
    ).exists()
    deliver_all()

    assert receiver.refused == []
    [message] = receiver.received
    assert message["headers"]["webhook-id"] == delivery.message_id
    assert message["payload"]["type"] == "application.completed"
    data = message["payload"]["data"]
    assert data["application_number"] == placement.application.application_number
    assert data["numbers"] == sorted(IssuedLine.objects.values_list("number_id", flat=True))
    for line in IssuedLine.objects.all():
        assert line.sip_password().encode() not in message["raw"] and line.service_pin().encode() not in message["raw"]
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 1
    assert WebhookAttempt.objects.get().outcome == "delivered"


def test_a_refused_application_announces_nothing(customer, endpoint):
    with pytest.raises(PoolShort):
        numbers_add(customer_id=customer.pk, count=2, idempotency_key="w1", actor=TEST_ACTOR)

    assert not WebhookDelivery.objects.exists()


def test_a_failing_endpoint_is_tried_again_each_attempt_on_record_then_given_up(customer, pool, endpoint, receiver):
    receiver.status = 500
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="w1", actor=TEST_ACTOR)
    delivery = WebhookDelivery.objects.get()

    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(DeliveryFailed):
            webhook_attempt(delivery_id=delivery.pk)
    assert webhook_attempt(delivery_id=delivery.pk) == "failed"

    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [500] * MAX_ATTEMPTS
    assert len({m["headers"]["webhook-id"] for m in receiver.received}) == 1  # the same message every time


def test_a_name_pointed_inside_after_registration_is_not_called(customer, pool, endpoint, receiver, settings):
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="w1", actor=TEST_ACTOR)
    settings.SELFCARE_WEBHOOK_ALLOW_PRIVATE = False  # as if the name now resolved to a private address

    with pytest.raises(DeliveryFailed):
        deliver_all()

    assert receiver.received == []
    assert WebhookAttempt.objects.get().outcome == "refused_address"


def test_a_removed_endpoint_gets_nothing_more(customer, pool, endpoint, receiver):
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="w1", actor=TEST_ACTOR)
    webhook_endpoint_remove(customer_id=customer.pk, endpoint_id=endpoint.pk, actor=TEST_ACTOR)

    deliver_all()
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="w2", actor=TEST_ACTOR)

    assert receiver.received == []
    assert list(WebhookDelivery.objects.values_list("state", flat=True)) == ["failed"]


def test_a_reissue_is_announced_without_the_password(customer, pool, endpoint, receiver):
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="w1", actor=TEST_ACTOR)
    line = IssuedLine.objects.get()
    sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    deliver_all()

    reissued = [m for m in receiver.received if m["payload"]["type"] == "sip_password.reissued"]
    assert [m["payload"]["data"]["number"] for m in reissued] == [line.number_id]
    line.refresh_from_db()
    assert line.sip_password().encode() not in reissued[0]["raw"]


def test_a_cancellation_is_announced_once_when_it_takes_effect(customer, pool, endpoint, receiver):
    numbers_add(customer_id=customer.pk, count=2, idempotency_key="w1", actor=TEST_ACTOR)
    numbers = sorted(IssuedLine.objects.values_list("number_id", flat=True))
    today = clock.today()
    numbers_cancel(numbers=[numbers[0]], received_on=today, effective_on=today + dt.timedelta(days=3), actor=TEST_ACTOR)

    assert number_cancelled_events_emit(today=today) == 0
    assert number_cancelled_events_emit(today=today + dt.timedelta(days=3)) == 1
    assert number_cancelled_events_emit(today=today + dt.timedelta(days=4)) == 0
    deliver_all()

    cancelled = [m["payload"] for m in receiver.received if m["payload"]["type"] == "number.cancelled"]
    assert [c["data"]["number"] for c in cancelled] == [numbers[0]]
    assert cancelled[0]["data"]["cancelled_on"] == (today + dt.timedelta(days=3)).isoformat()
    assert json.dumps(cancelled[0])  # plain JSON


def test_the_job_worker_delivers_and_retries_with_backoff(customer, pool, endpoint, receiver):
    from django_tasks.base import TaskResultStatus

    from selfcare.jobs.worker import Worker

    receiver.status = 503
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="w1", actor=TEST_ACTOR)
    Worker(until_empty=True, schedules=False).run()

    job = DBTaskResult.objects.get(task_path__endswith="webhook_deliver")
    assert job.status == TaskResultStatus.READY and job.run_after > clock.now()  # waits out its backoff
    assert WebhookAttempt.objects.get().status_code == 503

    receiver.status = 200
    DBTaskResult.objects.filter(pk=job.pk).update(run_after=clock.now())
    Worker(until_empty=True, schedules=False).run()

    assert WebhookDelivery.objects.get().state == "delivered"
    assert len(receiver.received) == 2 and len({m["headers"]["webhook-id"] for m in receiver.received}) == 1


def test_key_rotation_re_encrypts_the_signing_secrets(customer, receiver, settings):
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from selfcare.core import crypto

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SELFCARE_ENCRYPTION_KEYS = [old_key]
    made = webhook_endpoint_create(
        customer_id=customer.pk, url=receiver.url, events=["application.completed"], actor=TEST_ACTOR
    )
    settings.SELFCARE_ENCRYPTION_KEYS = [new_key, old_key]

    out = io.StringIO()
    call_command("rotate_encryption_keys", "--no-progress", stdout=out)

    assert "signing secrets of 1 webhook endpoints" in out.getvalue()
    settings.SELFCARE_ENCRYPTION_KEYS = [new_key]
    made.endpoint.refresh_from_db()
    assert crypto.decrypt(made.endpoint.secret_encrypted) == made.secret
