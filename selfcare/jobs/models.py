"""What the job layer keeps beside the library's table of jobs (django_tasks_db's DBTaskResult).

The library stores each job (its task, arguments, status, attempts and last error); these add
what it leaves to its users: which workers are alive, when each periodic job is next due, and
which effects of a job have already happened (so a job run twice does them once).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class Job(DBTaskResult):
    """The library's job rows, as the staff site shows them (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        permissions = [("retry_job", _("Can run a failed background job again"))]


class WorkerBeat(models.Model):
    """A running worker, seen every few seconds; a job left RUNNING by a worker not seen is given to another."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class Schedule(models.Model):
    """When a periodic job is next due; the worker that enqueues it moves the time on in the same transaction."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name


class Effect(models.Model):
    """An outside effect a job has carried out (an e-mail sent), by a key unique to it: never done twice."""

    key = models.CharField(max_length=200, primary_key=True)
    done_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
