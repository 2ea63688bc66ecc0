"""Gauges that are facts in the database, read when Prometheus scrapes (not kept in any process).

Cheap queries per scrape, whatever the size of the tables: one aggregate over the jobs that are not done,
along their own partial index (migrations/0001: the done jobs, which pile up, are never read), and the
gauges the apps register with ``database_gauges`` (the pool's, from the inventory's tally: inventory/metrics.py).
All run in one transaction under a statement timeout on PostgreSQL, so a slow database makes the scrape say
so (``selfcare_scrape_database_up 0``) instead of hanging it. ops imports no app above it: an app hands it
its gauges (docs/architecture.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, Q
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import GaugeMetricFamily, Metric

from selfcare.core import clock

logger = logging.getLogger(__name__)

SCRAPE_STATEMENT_TIMEOUT_MS = 2000
# In the order of the partial index's predicate (migrations/0001), which the planner then proves at once.
NOT_DONE = [TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED]

# Functions the apps register (in their AppConfig.ready), each reading its gauges in the scrape's transaction.
DATABASE_GAUGES: list[Callable[[], list[Metric]]] = []


def database_gauges(read: Callable[[], list[Metric]]) -> Callable[[], list[Metric]]:
    """Register ``read`` to run at every scrape (once, however often it is registered)."""
    if read not in DATABASE_GAUGES:
        DATABASE_GAUGES.append(read)
    return read


class DatabaseCollector:
    """The registered gauges (the pool's numbers by state and its low-water mark), the jobs by state and the
    oldest due job's wait."""

    def collect(self) -> Iterator[Metric]:
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT set_config('statement_timeout', %s, true)", [f"{SCRAPE_STATEMENT_TIMEOUT_MS}ms"]
                        )
                metrics = [metric for read in DATABASE_GAUGES for metric in read()]
                metrics += _job_metrics()
        except DatabaseError as exc:
            logger.warning("metrics: the database gauges could not be read: %s", type(exc).__name__)
            yield gauge("selfcare_scrape_database_up", "1 when the database gauges below could be read.", 0)
            return
        yield gauge("selfcare_scrape_database_up", "1 when the database gauges below could be read.", 1)
        yield from metrics


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


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
    age = gauge(
        "selfcare_jobs_oldest_queued_seconds",
        "How long the longest-waiting due job has been due (0 when none waits).",
        oldest,
    )
    return [jobs, age]
