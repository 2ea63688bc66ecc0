"""Real parallel connections on PostgreSQL: printing, posting and purging the same letters at once.

Each call runs in a thread (its own connection), released together by a barrier. Without the row
lock in letters_lock every racer would read print_count 0 and record a first print; without the
lock and the conditional update in the purge, two runs would both audit the same lines.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection

from selfcare.audit.models import AuditEntry
from selfcare.letters.errors import ReprintNeedsReason
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_mark_posted, letters_print
from selfcare.orders.models import IssuedLine
from selfcare.secrets.purge import posted_secrets_purge
from selfcare.testing import TEST_ACTOR, CustomerFactory, PlanFactory, pool_add

from .conftest import place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
RACERS = 4


def race(call: Callable[[], Any], n: int = RACERS) -> list[Any]:
    """Run ``call`` in n threads at once; each result is the return value or the exception raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # the outcome under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def letters() -> list[Letter]:
    pool_add("05000000000", 20)
    plan = PlanFactory()
    return [place(CustomerFactory(plan=plan), 5) for _ in range(3)]


def test_given_new_letters_when_four_staff_print_them_at_once_then_one_first_print_and_three_refusals(letters):
    ids = [letter.pk for letter in letters]

    results = race(lambda: letters_print(letter_ids=ids, actor=TEST_ACTOR))

    assert sum(isinstance(r, bytes) for r in results) == 1
    assert sum(isinstance(r, ReprintNeedsReason) for r in results) == RACERS - 1
    assert set(Letter.objects.values_list("print_count", flat=True)) == {1}
    assert AuditEntry.objects.filter(action="letter.printed").count() == 3
    assert not AuditEntry.objects.filter(action="letter.reprinted").exists()


def test_given_printed_letters_when_marked_posted_at_once_then_each_is_posted_once(letters):
    ids = [letter.pk for letter in letters]
    letters_print(letter_ids=ids, actor=TEST_ACTOR)

    results = race(lambda: letters_mark_posted(letter_ids=ids, actor=TEST_ACTOR))

    assert sorted(results) == [0] * (RACERS - 1) + [3]
    assert AuditEntry.objects.filter(action="letter.posted").count() == 3


def test_given_posted_letters_when_two_purges_run_at_once_then_each_line_is_purged_and_audited_once(letters):
    ids = [letter.pk for letter in letters]
    letters_print(letter_ids=ids, actor=TEST_ACTOR)
    letters_mark_posted(letter_ids=ids, actor=TEST_ACTOR)

    with time_machine.travel(dt.timedelta(days=31), tick=False):
        results = race(lambda: posted_secrets_purge(actor=TEST_ACTOR), n=2)

    assert sorted(results) == [0, 15]
    assert not IssuedLine.objects.filter(secrets_destroyed_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="secrets.purged").count() == 3
