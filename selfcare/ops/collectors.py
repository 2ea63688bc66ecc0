"""Gauges that are facts in the database, read when Prometheus scrapes (not kept in any process).

Two cheap queries per scrape, whatever the size of the pool: the pool tally (a grouped read of a small
table, the dashboard's own figures) and one aggregate over the jobs that are not done, along their own
partial index (migrations/0001: the done jobs, which pile up, are never read). Both run under a statement
timeout on PostgreSQL, so a slow database makes the scrape say so (``selfcare_scrape_database_up 0``)
instead of hanging it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, Q
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import GaugeMetricFamily, Metric

from selfcare.core import clock
from selfcare.inventory.selectors import pool_summary

logger = logging.getLogger(__name__)

SCRAPE_STATEMENT_TIMEOUT_MS = 2000
# In the order of the partial index's predicate (migrations/0001), which the planner then proves at once.
NOT_DONE = [TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED]


class DatabaseCollector:
    """The pool's numbers by state and its low-water mark, the jobs by state and the oldest due job's wait."""

    def collect(self) -> Iterator[Metric]:
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT set_config('statement_timeout', %s, true)", [f"{SCRAPE_STATEMENT_TIMEOUT_MS}ms"]
                        )
                metrics = [*_pool_metrics(), *_job_metrics()]
        except DatabaseError as exc:
            logger.warning("metrics: the database gauges could not be read: %s", type(exc).__name__)
            yield _gauge("selfcare_scrape_database_up", "1 when the database gauges below could be read.", 0)
            return
        yield _gauge("selfcare_scrape_database_up", "1 when the database gauges below could be read.", 1)
        yield from metrics


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _pool_metrics() -> list[Metric]:
    summary = pool_summary()
    numbers = GaugeMetricFamily(
        "selfcare_numbers",
        "050 numbers by state: issuable (free and issuable today), waiting (free from a later day: "
        "quarantine or a future import), held (by customers).",
        labels=["state"],
    )
    numbers.add_metric(["issuable"], summary.free_now)
    numbers.add_metric(["waiting"], summary.in_quarantine)
    numbers.add_metric(["held"], summary.assigned)
    threshold = _gauge(
        "selfcare_pool_low_threshold",
        "SELFCARE_LOW_POOL_WARNING: the staff dashboard warns below this many issuable numbers.",
        settings.SELFCARE_LOW_POOL_WARNING,
    )
    return [numbers, threshold]


def _job_metrics() -> list[Metric]:
    now = clock.now()
    never = get_date_max()  # the library's run_after of a job that may run at once
    ready = Q(status=TaskResultStatus.READY)
    due = ready & (Q(run_after=never) | Q(run_after__lte=now))
    row = DBTaskResult.objects.filter(status__in=NOT_DONE).aggregate(
        queued=Count("pk", filter=due),
        scheduled=Count("pk", filter=ready & Q(run_after__gt=now) & ~Q(run_after=never)),
        running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count("pk", filter=Q(status=TaskResultStatus.FAILED)),
        oldest_enqueued=Min("enqueued_at", filter=ready & Q(run_after=never)),
        oldest_run_after=Min("run_after", filter=ready & Q(run_after__lte=now)),
    )
    jobs = GaugeMetricFamily(
        "selfcare_jobs",
        "Background jobs by state: queued (due, waiting for a worker), scheduled (waiting for a later time: "
        "a retry's backoff), running, failed (gave up after their attempts; staff may run them again).",
        labels=["state"],
    )
    for state in ("queued", "scheduled", "running", "failed"):
        jobs.add_metric([state], row[state])
    since = [moment for moment in (row["oldest_enqueued"], row["oldest_run_after"]) if moment is not None]
    oldest = max((now - min(since)).total_seconds(), 0.0) if since else 0.0
    age = _gauge(
        "selfcare_jobs_oldest_queued_seconds",
        "How long the longest-waiting due job has been due (0 when none waits).",
        oldest,
    )
    return [jobs, age]
