"""The pool tally: how many numbers are held, and how many are free from each day, kept as rows of changes
written in the transactions that change the numbers (see ``PoolChange``).

Every change of a number's state goes through here: an import adds free numbers from a day, an application
moves numbers from their days to held, a cancellation moves them back to free from the end of their
quarantine. ``check_invariants`` proves the sums equal the numbers table.

Issuing also counts the numbers issued that day (``IssueCount``): the dashboard's numbers added by week.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from selfcare.core import clock
from selfcare.inventory.lock_objects import tally_rows_lock
from selfcare.inventory.models import IssueCount, PoolChange

HELD = None
"""The key of the numbers held by customers (a free number's key is the day it is issuable from)."""


def pool_changed(changes: Mapping[dt.date | None, int]) -> None:
    """Record changes of the counts (negative: fewer), in the caller's transaction."""
    rows = [PoolChange(available_from=day, numbers=n) for day, n in changes.items() if n]
    if rows:
        PoolChange.objects.bulk_create(rows)


def numbers_taken(days: Iterable[dt.date]) -> dict[dt.date | None, int]:
    """The changes of issuing free numbers whose days are ``days`` (one per number)."""
    taken = Counter(days)
    changes: dict[dt.date | None, int] = {day: -n for day, n in taken.items()}
    changes[HELD] = sum(taken.values())
    return changes


def numbers_issued(days: Iterable[dt.date], *, at: dt.datetime) -> None:
    """Record issuing free numbers whose days are ``days`` (one per number) at ``at`` (the application's
    time), in the caller's transaction: the pool's changes, and the numbers issued on that day."""
    changes = numbers_taken(days)
    pool_changed(changes)
    if changes[HELD]:
        IssueCount.objects.create(day=timezone.localdate(at), numbers=changes[HELD])


def issued_by_week(*, weeks: int = 12) -> list[tuple[dt.date, int]]:
    """Numbers issued in each of the last ``weeks`` ISO weeks, the current one last, keyed by their Monday.

    Weeks are the carrier's (settings.TIME_ZONE): a number issued on Monday 00:30 in Tokyo counts in that
    week although it is still Sunday in UTC. Weeks without additions are listed with 0. Lines cancelled since
    still count: they were added. One read of the day counts (a row a day, and one per application since the
    last compaction), whatever the size of the pool.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    today = clock.today()
    this_monday = today - dt.timedelta(days=today.weekday())
    first = this_monday - dt.timedelta(weeks=weeks - 1)
    rows = (
        IssueCount.objects.filter(day__gte=first, day__lt=this_monday + dt.timedelta(weeks=1))
        .values("day")
        .annotate(n=Sum("numbers"))
        .order_by()
        .values_list("day", "n")
    )
    added = [0] * weeks
    for day, n in rows:
        added[(day - first).days // 7] += n
    return [(first + dt.timedelta(weeks=i), n) for i, n in enumerate(added)]


def pool_tally() -> dict[dt.date | None, int]:
    """The numbers in each state: held (key ``HELD``) and free from each day. One grouped read of a small table."""
    rows = PoolChange.objects.values("available_from").annotate(n=Sum("numbers")).order_by()
    return {row["available_from"]: row["n"] for row in rows if row["n"]}


def pool_tally_compact() -> int:
    """Sum the change rows into one row per state and day, and the numbers issued into one row per day; the
    number of rows read from tables that had more than that.

    Only the rows read are deleted (by id) and replaced by their sums: a change committed meanwhile stays as
    it is, so nothing is counted twice or lost.
    """
    compacted = _compact(PoolChange, "available_from")
    return compacted + _compact(IssueCount, "day")


def _compact(model: type[Model], key: str) -> int:
    with transaction.atomic():
        # Locked: a second compaction waits, then sees these rows gone and the sums in their place.
        rows = tally_rows_lock(model=model, key=key)
        sums: Counter[dt.date | None] = Counter()
        for _pk, day, n in rows:
            sums[day] += n
        if len(rows) <= len(sums):
            return 0  # one row per key already
        pks = [pk for pk, _day, _n in rows]
        for start in range(0, len(pks), 5_000):  # below SQLite's limit of bound parameters
            model._default_manager.filter(pk__in=pks[start : start + 5_000]).delete()
        model._default_manager.bulk_create([model(**{key: day, "numbers": n}) for day, n in sums.items() if n])
    return len(rows)
