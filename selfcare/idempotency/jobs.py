"""The idempotency keys' periodic job (scheduled by the jobs worker: selfcare/jobs/schedules.py)."""

from __future__ import annotations

from selfcare.idempotency.services import idempotency_records_purge
from selfcare.jobs import job


@job(max_attempts=3, backoff_seconds=300)
def purge_idempotency_keys() -> int:
    """Hourly: forget the keys older than SELFCARE_IDEMPOTENCY_KEEP_HOURS."""
    return idempotency_records_purge()
