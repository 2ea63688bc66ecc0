"""A job queued before an upgrade that moved its function runs after it (jobs migration 0002)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from selfcare.testing import jobs_run

OLD = "selfcare.letters.jobs.purge_posted_secrets"
NEW = "selfcare.secrets.jobs.purge_posted_secrets"


@pytest.mark.django_db(transaction=True)
def test_a_purge_queued_at_its_old_path_before_the_upgrade_runs_after_migrate():
    executor = MigrationExecutor(connection)
    executor.migrate([("jobs", "0001_initial")])
    queued = DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        run_after=get_date_max(),
        args_kwargs={"args": [], "kwargs": {}},
        task_path=OLD,
        backend_name="default",
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    jobs_run()

    queued.refresh_from_db()
    assert queued.task_path == NEW
    assert queued.status == TaskResultStatus.SUCCESSFUL
