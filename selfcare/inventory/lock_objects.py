"""Every row lock this app takes: the pool tally's rows, for its compaction (taken alone).

Applications, imports and cancellations never lock the tally: they append rows to it, so parallel
applications do not queue on a counter; only the compaction locks the rows it sums and replaces.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Model

from selfcare.core.locking import bounded_lock_wait


def tally_rows_lock(*, model: type[Model], key: str) -> list[tuple[int, dt.date | None, int]]:
    """Every row of a tally table (``model``), as (pk, ``key``, numbers): a second compaction waits."""
    with bounded_lock_wait():
        return list(model._default_manager.select_for_update().values_list("pk", key, "numbers"))
