"""The staff page of background jobs: the operations role sees failed jobs with their error and runs them again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.tests.conftest import changelist_action, html, messages_of
from selfcare.jobs import enqueue
from selfcare.jobs.tests import sample_jobs
from selfcare.testing import jobs_run

JOBS_URL = "/staff/jobs/job/"


@pytest.fixture
def operations(make_staff):
    return make_staff("operations")


@pytest.fixture
def failed_job(db):
    sample_jobs.CALLS.clear()
    sample_jobs.FAILURES_LEFT["page"] = 3
    with transaction.atomic():
        job_id = enqueue(sample_jobs.flaky, name="page")
    now = timezone.now()
    for _ in range(3):
        with time_machine.travel(now, tick=False):
            jobs_run()
        now += dt.timedelta(hours=1)
    assert DBTaskResult.objects.get(pk=job_id).status == TaskResultStatus.FAILED
    return job_id


def test_given_the_operations_role_then_failed_jobs_show_with_their_error(operations, failed_job):
    page = html(operations.get(f"{JOBS_URL}?status__exact=FAILED"))
    assert "flaky" in page and "ConnectionRefusedError" in page and "3 / 3" in page

    detail = html(operations.get(f"{JOBS_URL}{failed_job}/change/"))
    assert "the far end refused" in detail  # the error in full
    assert "Job object" not in detail and "<h1>flaky</h1>" in detail


def test_given_the_jobs_page_then_every_heading_is_in_japanese(operations, failed_job):
    page = html(operations.get(JOBS_URL))
    for heading in ["登録日時", "処理", "状態", "試行回数", "次回実行", "終了日時", "最後のエラー"]:
        assert f">{heading}<" in page.replace("</a>", "<").replace('">', ">"), heading
    for english in ["Enqueued at", "Finished at", "Task Result"]:
        assert english not in page


def test_given_another_role_then_the_jobs_page_is_refused(customer_centre, failed_job):
    assert customer_centre.get(JOBS_URL).status_code == 403


def test_given_a_failed_job_when_operations_run_it_again_then_it_runs_and_the_audit_names_them(operations, failed_job):
    response = changelist_action(operations, JOBS_URL, "retry", [failed_job])
    assert response.status_code == 302

    job = DBTaskResult.objects.get(pk=failed_job)
    assert job.status == TaskResultStatus.READY and job.worker_ids == []
    (entry,) = AuditEntry.objects.filter(action="job.retried")
    assert entry.actor_user_id == operations.user.pk and entry.target == f"job:{failed_job}"
    assert jobs_run() == 1
    assert DBTaskResult.objects.get(pk=failed_job).status == TaskResultStatus.SUCCESSFUL


def test_given_a_job_not_failed_when_run_again_then_refused_with_a_message(operations, db):
    with transaction.atomic():
        job_id = enqueue(sample_jobs.remember, value="waiting")
    response = changelist_action(operations, JOBS_URL, "retry", [job_id])
    follow = operations.get(response.url) if response.status_code == 302 else response
    assert any("Only a failed job" in m or "失敗した処理だけ" in m for m in messages_of(follow))
    assert not AuditEntry.objects.filter(action="job.retried").exists()


def test_every_job_of_the_project_has_a_name_in_words_on_the_staff_page():
    import ast
    from pathlib import Path

    from selfcare.backoffice.admin.jobs import JOB_LABELS

    root = Path(__file__).resolve().parents[2]
    jobs = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", "") == "job" for d in node.decorator_list
            ):
                jobs.add(node.name)
    assert len(jobs) >= 12
    assert jobs - set(JOB_LABELS) == set()


def test_given_a_failed_job_then_the_operations_dashboard_counts_it_and_other_roles_see_no_such_line(
    operations, customer_centre, failed_job
):
    page = html(operations.get("/staff/"))
    assert "失敗したバックグラウンド処理" in page and f"{JOBS_URL}?status__exact=FAILED" in page
    assert 'class="attention"><a href="/staff/jobs/job/?status__exact=FAILED"><span class="figure">1<' in page

    assert "失敗したバックグラウンド処理" not in html(customer_centre.get("/staff/"))
