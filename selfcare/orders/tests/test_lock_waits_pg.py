"""Bounded lock waits: a request that needs a row another transaction holds too long is refused as busy.

One thread holds the customer's row (as a stuck transaction would); the application waits at
most SELFCARE_LOCK_TIMEOUT_MS, then is refused with Busy, nothing written, the refusal audited,
and the portal says "busy, try again". Once the row is free, the same 実行 works.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import translation

from selfcare.accounts.lock_objects import customer_lock
from selfcare.audit.models import AuditEntry
from selfcare.core.errors import Busy
from selfcare.orders.models import Application
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class RowHolder:
    """A transaction in another connection that holds one customer's row (as our own services lock it)."""

    def __init__(self, customer_id: int) -> None:
        self.customer_id = customer_id
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                customer_lock(customer_id=self.customer_id)
                self.locked.set()
                self.release.wait(timeout=30)
        finally:
            connection.close()

    def __enter__(self) -> RowHolder:
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(timeout=30)


def test_given_a_held_customer_row_when_applying_then_refused_as_busy_within_the_bound(customer, pool, settings):
    settings.SELFCARE_LOCK_TIMEOUT_MS = 300

    with RowHolder(customer.pk):
        started = time.monotonic()
        with pytest.raises(Busy):
            numbers_add(customer_id=customer.pk, count=2, idempotency_key="busy-1", actor=TEST_ACTOR)
        waited = time.monotonic() - started

    assert 0.25 < waited < 5
    assert not Application.objects.exists()
    refusal = AuditEntry.objects.get(action="application.refused")
    assert refusal.detail["reason"] == "busy"
    # The row is free again: the same request now goes through.
    placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="busy-1", actor=TEST_ACTOR)
    assert placement.created and placement.application.count == 2


def test_given_a_held_customer_row_when_the_customer_presses_execute_then_the_page_says_busy(
    client, customer, pool, settings, mailoutbox
):
    from selfcare.portal.tests.conftest import PASSWORD, draft
    from selfcare.testing import login_code

    settings.SELFCARE_LOCK_TIMEOUT_MS = 300
    customer.user.set_password(PASSWORD)
    customer.user.save()
    client.post("/login/", {"selfcare_id": customer.selfcare_id, "password": PASSWORD})
    client.post("/login/verify/", {"code": login_code(mailoutbox[-1])})
    token = draft(client, 1)

    with RowHolder(customer.pk):
        response = client.post("/numbers/add/execute/", {"token": token})

    with translation.override("ja"):
        busy = str(Busy())
    assert response.status_code == 200
    assert busy in response.content.decode()
    assert not Application.objects.exists()
