"""The secrets' periodic job (scheduled by the jobs worker: selfcare/jobs/schedules.py)."""

from __future__ import annotations

from selfcare.audit.services import Actor
from selfcare.jobs import job
from selfcare.secrets.purge import posted_secrets_purge


@job(max_attempts=6, backoff_seconds=300)
def purge_posted_secrets() -> int:
    """Daily: destroy the stored passwords of numbers whose letter was posted long enough ago."""
    return posted_secrets_purge(actor=Actor.system("purge_posted_secrets"))
