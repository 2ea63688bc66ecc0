"""The pool tally: how many numbers are held, and how many are free from each day, kept as rows of changes
written in the transactions that change the numbers (see ``PoolChange``).

Every change of a number's state goes through here: an import adds free numbers from a day, an application
moves numbers from their days to held, a cancellation moves them back to free from the end of their
quarantine. ``check_invariants`` proves the sums equal the numbers table.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Sum

from selfcare.inventory.models import PoolChange

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


def pool_tally() -> dict[dt.date | None, int]:
    """The numbers in each state: held (key ``HELD``) and free from each day. One grouped read of a small table."""
    rows = PoolChange.objects.values("available_from").annotate(n=Sum("numbers")).order_by()
    return {row["available_from"]: row["n"] for row in rows if row["n"]}


def pool_tally_compact() -> int:
    """Sum the change rows into one row per state and day; the number of rows removed.

    Only the rows read are deleted (by id) and replaced by their sums: a change committed meanwhile stays as
    it is, so nothing is counted twice or lost.
    """
    with transaction.atomic():
        # Locked: a second compaction waits, then sees these rows gone and the sums in their place.
        rows = list(PoolChange.objects.select_for_update().values_list("pk", "available_from", "numbers"))
        sums: Counter[dt.date | None] = Counter()
        for _pk, day, n in rows:
            sums[day] += n
        if len(rows) <= len(sums):
            return 0  # one row per state and day already
        pks = [pk for pk, _day, _n in rows]
        for start in range(0, len(pks), 5_000):  # below SQLite's limit of bound parameters
            PoolChange.objects.filter(pk__in=pks[start : start + 5_000]).delete()
        pool_changed(dict(sums))
    return len(rows)
