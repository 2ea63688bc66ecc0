"""Periodic jobs, enqueued by the workers themselves (no cron): each entry's next time is kept in Schedule.

A worker that finds an entry due enqueues its job and moves the time on in one transaction,
with the entry's row locked (skipping rows another worker holds), so among any number of
workers each due time gives exactly one job. A worker down for days enqueues a missed entry
once when it comes back, not once per missed day: every periodic job does all that is due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from selfcare.jobs.lock_objects import due_schedules_lock
from selfcare.jobs.models import Schedule
from selfcare.jobs.registry import enqueue


@dataclass(frozen=True)
class Periodic:
    """A job run every day at ``at`` (local time), or every ``every`` when that is given instead."""

    task_path: str
    at: dt.time | None = None
    every: dt.timedelta | None = None

    def next_after(self, now: dt.datetime) -> dt.datetime:
        if self.every is not None:
            return now + self.every
        assert self.at is not None
        local = timezone.localtime(now)
        candidate = timezone.make_aware(dt.datetime.combine(local.date(), self.at))
        if candidate <= now:
            candidate = timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=1), self.at))
        return candidate


SCHEDULES: dict[str, Periodic] = {
    # Cancellations take effect at the start of their day: drop the phones of those in effect today.
    "registrar_drop_cancelled": Periodic("selfcare.registrar.jobs.registrar_drop_cancelled", at=dt.time(0, 5)),
    "purge_posted_secrets": Periodic("selfcare.secrets.jobs.purge_posted_secrets", at=dt.time(3, 0)),
    "compact_pool_tally": Periodic("selfcare.inventory.jobs.compact_pool_tally", at=dt.time(3, 30)),
    "jobs_prune": Periodic("selfcare.jobs.tasks.jobs_prune", at=dt.time(4, 0)),
    # The business API: number.cancelled webhooks once a cancellation is in effect; idempotency keys kept 24 h.
    "number_cancelled_events": Periodic(
        "selfcare.orders.webhook_events.number_cancelled_events", every=dt.timedelta(minutes=10)
    ),
    "purge_idempotency_keys": Periodic("selfcare.idempotency.jobs.purge_idempotency_keys", every=dt.timedelta(hours=1)),
}


def schedules_enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due and set its next time; returns the names enqueued."""
    now = now or timezone.now()
    with transaction.atomic():
        known = set(Schedule.objects.values_list("name", flat=True))
        Schedule.objects.bulk_create(
            [Schedule(name=name, next_run_at=now) for name in SCHEDULES if name not in known],
            ignore_conflicts=True,
        )
    enqueued: list[str] = []
    with transaction.atomic():
        due = due_schedules_lock(names=list(SCHEDULES), now=now)
        for row in due:
            periodic = SCHEDULES[row.name]
            enqueue(import_string(periodic.task_path))
            row.next_run_at = periodic.next_after(now)
            row.last_enqueued_at = now
            row.save(update_fields=["next_run_at", "last_enqueued_at"])
            enqueued.append(row.name)
    return enqueued
