"""The inventory's periodic job (scheduled by the jobs worker: selfcare/jobs/schedules.py)."""

from __future__ import annotations

from selfcare.inventory.tally import pool_tally_compact
from selfcare.jobs import job


@job(max_attempts=6, backoff_seconds=300)
def compact_pool_tally() -> int:
    """Daily: sum the pool tally's change rows into one row per state and day."""
    return pool_tally_compact()
