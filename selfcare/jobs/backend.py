"""django-tasks-db's backend, storing beside each job the id of the request that enqueued it.

The library keeps a job's arguments as ``{"args": [...], "kwargs": {...}}`` and reads only those two
keys back; the request id goes in a third, so the worker can bind it while running the job and the
job's log lines carry the request's id (docs/metrics-and-logs.md, *Request id*).
"""

from __future__ import annotations

from typing import Any

from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult

from selfcare.ops.request_id import current_request_id


class RequestIdDatabaseBackend(DatabaseBackend):
    def _task_to_db_task(self, task: Task, args: Any, kwargs: Any) -> DBTaskResult:
        stored = normalize_json({"args": args, "kwargs": kwargs})
        if (request_id := current_request_id()) is not None:
            stored["request_id"] = request_id
        return DBTaskResult.objects.create(
            id=self._get_id(),
            args_kwargs=stored,
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,  # type: ignore[misc]
            backend_name=self.alias,
        )
