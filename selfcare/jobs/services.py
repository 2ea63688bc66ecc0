"""What staff do with jobs: run a failed one again (audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from selfcare.audit.services import Actor, audit_record
from selfcare.core.errors import DomainError
from selfcare.jobs.lock_objects import job_lock
from selfcare.jobs.models import Job


class JobNotFailed(DomainError):
    code = "job_not_failed"
    message = _("Only a failed job can be run again; this one is not failed (%(status)s).")


def job_retry(*, job_id: str, actor: Actor) -> DBTaskResult:
    """Put a failed job back in the queue with a fresh set of attempts, and record who did it and why it had failed."""
    with transaction.atomic():
        job = job_lock(job_id=job_id)
        if job.status != TaskResultStatus.FAILED:
            raise JobNotFailed(status=job.status)
        attempts = len(job.worker_ids)
        Job.objects.filter(pk=job.pk, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=timezone.now(), worker_ids=[], finished_at=None
        )
        audit_record(
            actor=actor,
            action="job.retried",
            target=f"job:{job.pk}",
            detail={"task": job.task_path.rpartition(".")[2], "attempts": attempts, "error": job.exception_class_path},
        )
    return Job.objects.get(pk=job.pk)
