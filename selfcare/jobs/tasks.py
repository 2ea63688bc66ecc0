"""The jobs of the job layer itself."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from selfcare.jobs.models import Effect
from selfcare.jobs.registry import job

KEEP_SUCCEEDED = dt.timedelta(days=14)
KEEP_FAILED = dt.timedelta(days=90)


@job(max_attempts=3)
def jobs_prune() -> dict[str, int]:
    """Forget finished jobs: succeeded after 14 days, failed after 90 (the staff see them till then)."""
    now = timezone.now()
    succeeded, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_SUCCEEDED
    ).delete()
    failed, _ = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED).delete()
    effects, _ = Effect.objects.filter(done_at__lt=now - KEEP_FAILED).delete()
    return {"succeeded": succeeded, "failed": failed, "effects": effects}
