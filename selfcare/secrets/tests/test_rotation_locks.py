"""Key rotation takes its row locks through the lock_objects modules: chunks by pk, rows locked in number order.

A line whose number was cancelled and issued again has a later pk but the same or a lower number
than lines after it: the chunk still follows pk, the lock follows the system's order (ascending
number). On PostgreSQL a line another transaction holds too long makes the rotation Busy.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from selfcare.core.errors import Busy
from selfcare.letters.lock_objects import letters_with_secret_lock
from selfcare.letters.models import Letter
from selfcare.orders.lock_objects import lines_to_rotate_lock, uncancelled_lines_lock
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.secrets.rotation import credentials_rotate
from selfcare.testing import TEST_ACTOR


@pytest.fixture
def lines(customer, pool) -> list[IssuedLine]:
    numbers_add(customer_id=customer.pk, count=4, idempotency_key="rotate-locks", actor=TEST_ACTOR)
    return list(IssuedLine.objects.order_by("pk"))


@pytest.mark.django_db
def test_given_a_chunk_then_the_next_lines_by_pk_that_hold_secrets_come_back_in_pk_order(lines):
    IssuedLine.objects.filter(pk=lines[1].pk).update(
        secrets_destroyed_at=lines[1].issued_at, service_pin_encrypted="", sip_password_encrypted=""
    )

    with transaction.atomic():
        chunk = lines_to_rotate_lock(after_pk=lines[0].pk, limit=2)

    assert [line.pk for line in chunk] == [lines[2].pk, lines[3].pk]


@pytest.mark.django_db
def test_given_a_chunk_then_its_rows_are_locked_in_ascending_number(lines):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        lines_to_rotate_lock(after_pk=0, limit=10)

    (locking,) = [q["sql"] for q in queries if "orders_issuedline" in q["sql"]]
    assert 'ORDER BY "orders_issuedline"."number" ASC, "orders_issuedline"."id" ASC' in locking
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in locking


@pytest.mark.django_db
def test_given_letters_with_and_without_secrets_then_those_with_one_are_locked_by_ascending_id(plan):
    from selfcare.accounts.services import customer_create

    created = [
        customer_create(
            selfcare_id=f"rotate{index:04d}",
            email=f"rotate{index}@example.com",
            contract_name="ローテート商事",
            plan_code=plan.code,
            actor=TEST_ACTOR,
        )
        for index in range(3)
    ]
    letters = [Letter.objects.get(customer=c.customer) for c in created]
    Letter.objects.filter(pk=letters[1].pk).update(secret_encrypted="")

    with transaction.atomic():
        locked = letters_with_secret_lock()

    assert [letter.pk for letter in locked] == [letters[0].pk, letters[2].pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_a_line_held_by_another_transaction_when_rotating_then_busy_within_the_bound(lines, settings):
    settings.SELFCARE_LOCK_TIMEOUT_MS = 300
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                uncancelled_lines_lock(numbers=[lines[2].number_id])
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(Busy):
            credentials_rotate(actor=TEST_ACTOR)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)

    assert 0.25 < waited < 5
    assert credentials_rotate(actor=TEST_ACTOR) == 4  # free again: the rotation is simply run again
