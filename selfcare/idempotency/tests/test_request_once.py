"""The one mechanism of requests done once (selfcare/idempotency/services.py)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection

from selfcare.core import clock
from selfcare.idempotency.errors import IdempotencyKeyReused, RequestInFlight
from selfcare.idempotency.models import IdempotencyRecord
from selfcare.idempotency.services import _lock_id, fingerprint, idempotency_records_purge, request_once
from selfcare.orders.errors import PoolShort

pytestmark = pytest.mark.django_db


class Work:
    def __init__(self, answer=(201, {"n": 1}), error=None):
        self.calls, self.answer, self.error = 0, answer, error

    def __call__(self):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.answer


def once(customer, work, key="k", fp=None):
    return request_once(customer_id=customer.pk, key=key, fingerprint=fp or fingerprint("op", a=1), work=work)


def test_done_once_then_replayed(customer):
    work = Work()
    first, again = once(customer, work), once(customer, work)

    assert work.calls == 1
    assert (first.status, first.body, first.replayed) == (201, {"n": 1}, False)
    assert (again.status, again.body, again.replayed) == (201, {"n": 1}, True)


def test_the_same_key_for_another_request_is_refused(customer):
    once(customer, Work())

    with pytest.raises(IdempotencyKeyReused):
        once(customer, Work(), fp=fingerprint("op", a=2))


def test_a_refusal_withdraws_the_claim_so_the_key_may_be_sent_again(customer):
    with pytest.raises(PoolShort):
        once(customer, Work(error=PoolShort(requested=1, available=0)))

    assert not IdempotencyRecord.objects.exists()
    assert once(customer, Work()).replayed is False


@contextmanager
def alive_elsewhere(customer, key="k"):
    """On PostgreSQL a request in flight is alive while its connection holds the key's lock: hold it from another."""
    if connection.vendor != "postgresql":
        yield
        return
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_id(customer.pk, key)])
        yield
    finally:
        other.close()


def test_a_request_in_flight_is_waited_for_then_refused_as_in_flight(customer, settings):
    settings.SELFCARE_IDEMPOTENCY_WAIT_MS = 100
    now = clock.now()
    IdempotencyRecord.objects.create(
        customer=customer,
        key="k",
        fingerprint=fingerprint("op", a=1),
        state="in_flight",
        owner="other",
        lease_until=now + dt.timedelta(seconds=60),
        created_at=now,
    )
    work = Work()

    with alive_elsewhere(customer), pytest.raises(RequestInFlight):
        once(customer, work)
    assert work.calls == 0


@pytest.mark.postgres
def test_a_claim_whose_request_died_is_taken_over_at_once_on_postgresql(customer, settings):
    """Its lease has most of a minute to run, but no connection holds its key's lock: its request is gone."""
    settings.SELFCARE_IDEMPOTENCY_WAIT_MS = 100
    now = clock.now()
    IdempotencyRecord.objects.create(
        customer=customer,
        key="k",
        fingerprint=fingerprint("op", a=1),
        state="in_flight",
        owner="killed",
        lease_until=now + dt.timedelta(seconds=55),
        created_at=now,
    )
    work = Work()

    answer = once(customer, work)

    assert work.calls == 1 and answer.replayed is False
    assert IdempotencyRecord.objects.get().state == "done"
    with connection.cursor() as cursor:  # and the lock is let go once the request is done
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0


def test_a_claim_whose_lease_ran_out_is_taken_over(customer):
    now = clock.now()
    IdempotencyRecord.objects.create(
        customer=customer,
        key="k",
        fingerprint=fingerprint("op", a=1),
        state="in_flight",
        owner="dead",
        lease_until=now - dt.timedelta(seconds=1),
        created_at=now - dt.timedelta(seconds=61),
    )
    work = Work()

    answer = once(customer, work)

    assert work.calls == 1 and answer.replayed is False
    assert IdempotencyRecord.objects.get().state == "done"


def test_keys_are_kept_a_day_then_purged(customer, settings):
    once(customer, Work())
    later = clock.now() + dt.timedelta(hours=settings.SELFCARE_IDEMPOTENCY_KEEP_HOURS)

    assert idempotency_records_purge(now=later - dt.timedelta(minutes=1)) == 0
    assert idempotency_records_purge(now=later + dt.timedelta(minutes=1)) == 1
