"""Every row lock this app takes (the library's claim of a job to run is its own, with SKIP LOCKED).

Both are taken alone, never with another app's locks: a job row staff run again, and the due
schedule rows, skipped when another worker holds them (docs/concurrency.md).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django_tasks_db.models import DBTaskResult

from selfcare.core.locking import bounded_lock_wait
from selfcare.jobs.models import Job, Schedule


def job_lock(*, job_id: str) -> DBTaskResult:
    """The job row, for staff running it again. Raises Job.DoesNotExist."""
    with bounded_lock_wait():
        return Job.objects.select_for_update().get(pk=job_id)


def due_schedules_lock(*, names: list[str], now: dt.datetime) -> QuerySet[Schedule]:
    """The schedules due by ``now`` that no other worker holds (SKIP LOCKED: one worker enqueues each)."""
    return Schedule.objects.select_for_update(skip_locked=True).filter(name__in=names, next_run_at__lte=now)
