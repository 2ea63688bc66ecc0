"""The worker: takes due jobs one at a time, runs them, retries failures with backoff, keeps the schedules.

Built on django-tasks-db's table and its row claiming (``ready()``, ``get_locked()`` with SKIP
LOCKED, ``claim()``); the loop is ours because it does what the library's worker leaves out:
a failed attempt is put back with a delay until its policy's attempts are spent, a job left
RUNNING by a worker that stopped being seen (killed, host lost) is given back, and the
periodic jobs of ``schedules.SCHEDULES`` are enqueued by whichever worker finds them due.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
import traceback
from types import FrameType

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from selfcare.jobs.context import job_bound
from selfcare.jobs.models import WorkerBeat
from selfcare.jobs.registry import policy_of
from selfcare.jobs.schedules import schedules_enqueue_due
from selfcare.ops import metrics
from selfcare.ops.request_id import request_id_bound

logger = logging.getLogger("selfcare.jobs")

LOST_WORKER_ERROR = "selfcare.jobs.WorkerLost"


def lost_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SELFCARE_JOBS_WORKER_LOST_SECONDS)


class Worker:
    def __init__(
        self,
        *,
        until_empty: bool = False,
        interval: float = 1.0,
        beat_seconds: float = 5.0,
        schedules: bool = True,
        worker_id: str | None = None,
    ) -> None:
        self.until_empty = until_empty
        self.interval = interval
        self.beat_seconds = beat_seconds
        self.schedules = schedules
        self.worker_id = worker_id or get_random_string(32)
        self.running = True
        self.in_job = False
        self.jobs_run = 0
        self._stop = threading.Event()
        self._last_housekeeping: dt.datetime | None = None
        # A job whose outcome could not be recorded (the database went away meanwhile): given back first.
        self.unfinished: DBTaskResult | None = None

    # Signals: the first SIGTERM/SIGINT lets the running job finish; a second one stops at once.
    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            raise SystemExit(1)
        logger.info("worker %s: %s received, stopping after the current job", self.worker_id, signal.strsignal(signum))
        self.running = False
        self._stop.set()
        if not self.in_job:
            raise SystemExit(0)

    def signals_handle(self) -> None:
        signal.signal(signal.SIGTERM, self.shutdown)
        signal.signal(signal.SIGINT, self.shutdown)

    # Being seen ---------------------------------------------------------------------------------
    def beat(self) -> None:
        now = timezone.now()
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": now},
            create_defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "seen_at": now,
                "started_at": now,
            },
        )

    def _beat_forever(self) -> None:
        while not self._stop.wait(self.beat_seconds):
            try:
                self.beat()
            except Exception:  # a missed beat is retried; too many and the jobs are given away, which is safe
                logger.warning("worker %s: could not record that it is alive", self.worker_id, exc_info=True)
            finally:
                connection.close()

    # The loop -----------------------------------------------------------------------------------
    def run(self) -> int:
        """Run until stopped (or, with until_empty, until no job is due); returns how many jobs ran."""
        self.beat()
        beater = None
        if not self.until_empty:
            beater = threading.Thread(target=self._beat_forever, name="jobs-beat", daemon=True)
            beater.start()
        logger.info("worker %s started", self.worker_id)
        try:
            while self.running:
                if not connection.in_atomic_block:  # run inside a transaction (a test): keep its connection
                    close_old_connections()
                try:
                    self.release_unfinished()
                    self.housekeeping()
                    job = self.claim_next()
                    if job is not None:
                        self.unfinished = job
                        self.run_job(job)
                        self.unfinished = None
                        continue
                except (OperationalError, InterfaceError) as exc:
                    if self.until_empty or connection.in_atomic_block:
                        raise
                    # The database went away (a failover, a restart): wait and look again, with a new connection.
                    logger.warning("worker %s: the database did not answer (%s); trying again", self.worker_id, exc)
                    connection.close()
                    self._stop.wait(max(self.interval, 2.0))
                    continue
                if self.until_empty:
                    break
                self._stop.wait(self.interval)
        finally:
            self._stop.set()
            if beater is not None:
                beater.join(timeout=self.beat_seconds + 1)
            try:
                WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
            except (OperationalError, InterfaceError):  # others will find it not seen
                logger.warning("worker %s: could not say it stopped", self.worker_id)
            logger.info("worker %s stopped after %d jobs", self.worker_id, self.jobs_run)
        return self.jobs_run

    def release_unfinished(self) -> None:
        """Put back the job this worker claimed but could not record the end of (it is still RUNNING as ours)."""
        if self.unfinished is None:
            return
        job = self.unfinished
        DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at).update(
            status=TaskResultStatus.READY, run_after=timezone.now()
        )
        self.unfinished = None

    def housekeeping(self, force: bool = False) -> None:
        """At most every few seconds: give back the jobs of lost workers, enqueue due periodic jobs."""
        now = timezone.now()
        if not force and self._last_housekeeping and now - self._last_housekeeping < dt.timedelta(seconds=5):
            return
        self._last_housekeeping = now
        if self.until_empty:
            self.beat()
        lost_jobs_release(now=now)
        if self.schedules:
            schedules_enqueue_due(now)

    def claim_next(self) -> DBTaskResult | None:
        with exclusive_transaction():
            job = DBTaskResult.objects.ready().get_locked()
            if job is not None:
                job.claim(self.worker_id)
        return job

    def run_job(self, job: DBTaskResult) -> None:
        self.in_job = True
        try:
            try:
                task = job.task
            except (ImportError, SuspiciousOperation) as exc:
                logger.error("job %s: %s cannot be loaded", job.id, job.task_path)
                job.set_failed(exc)
                return
            started = time.monotonic()
            with job_bound(str(job.id)), request_id_bound(job.args_kwargs.get("request_id")):
                try:
                    result = task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
                except Exception as exc:
                    outcome = attempt_failed(job, exc)
                    metrics.job_finished(task=job.task_name, outcome=outcome, seconds=time.monotonic() - started)
                    return
                job.set_successful(result if _json_plain(result) else None)
                metrics.job_finished(task=job.task_name, outcome="succeeded", seconds=time.monotonic() - started)
                logger.info("job %s (%s) done at attempt %d", job.id, job.task_name, len(job.worker_ids))
        finally:
            self.in_job = False
            self.jobs_run += 1


def _json_plain(value: object) -> bool:
    return value is None or isinstance(value, (bool, int, float, str, list, dict))


def attempt_failed(job: DBTaskResult, exc: BaseException) -> str:
    """Put the job back with its policy's delay, or leave it failed when its attempts are spent; says which."""
    attempts = len(job.worker_ids)
    policy = policy_of(job.task_path)
    if attempts >= policy.max_attempts:
        job.set_failed(exc)
        logger.error(
            "job %s (%s) failed for good after %d attempts: %s",
            job.id,
            job.task_name,
            attempts,
            type(exc).__name__,
        )
        return "failed"
    run_after = timezone.now() + policy.delay_after(attempts)
    DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY,
        run_after=run_after,
        exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
        traceback="".join(traceback.format_exception(exc)),
    )
    logger.warning(
        "job %s (%s) attempt %d of %d failed (%s); next at %s",
        job.id,
        job.task_name,
        attempts,
        policy.max_attempts,
        type(exc).__name__,
        run_after.isoformat(timespec="seconds"),
    )
    return "retried"


def lost_jobs_release(*, now: dt.datetime) -> int:
    """Give back the RUNNING jobs whose worker is no longer seen (or fail them when their attempts are spent)."""
    seen = set(WorkerBeat.objects.filter(seen_at__gte=now - lost_after()).values_list("worker_id", flat=True))
    released = 0
    for job in DBTaskResult.objects.running().only("id", "worker_ids", "task_path", "started_at"):
        if job.worker_ids and job.worker_ids[-1] in seen:
            continue
        policy = policy_of(job.task_path)
        with transaction.atomic():
            # The same attempt still running: a new claim would have moved started_at.
            still = DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at)
            if len(job.worker_ids) >= policy.max_attempts:
                changed = still.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path=LOST_WORKER_ERROR,
                    traceback="The worker running this job stopped being seen (killed or lost); no attempts left.\n",
                )
            else:
                changed = still.update(
                    status=TaskResultStatus.READY,
                    run_after=now,
                    exception_class_path=LOST_WORKER_ERROR,
                    traceback="The worker running this job stopped being seen (killed or lost); run again.\n",
                )
        if changed:
            released += 1
            logger.warning("job %s (%s): its worker was lost; given back", job.id, job.task_path)
    WorkerBeat.objects.filter(seen_at__lt=now - lost_after() * 10).delete()
    return released
