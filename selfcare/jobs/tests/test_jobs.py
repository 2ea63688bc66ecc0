"""The job layer: enqueued with the change or not at all, retried with backoff, given back when a worker is lost."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from selfcare.audit.models import AuditEntry
from selfcare.jobs import JobOutsideTransaction, enqueue
from selfcare.jobs.models import Effect, Schedule, WorkerBeat
from selfcare.jobs.schedules import SCHEDULES, schedules_enqueue_due
from selfcare.jobs.services import JobNotFailed, job_retry
from selfcare.jobs.tests import sample_jobs
from selfcare.jobs.worker import Worker, lost_jobs_release
from selfcare.orders.errors import PoolShort
from selfcare.orders.jobs import application_notice_send
from selfcare.orders.models import Application
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, jobs_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_sample_calls():
    sample_jobs.CALLS.clear()
    sample_jobs.FAILURES_LEFT.clear()


def test_given_a_rolled_back_change_then_its_job_is_gone_too():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        enqueue(sample_jobs.remember, value="rolled back")
        1 / 0  # noqa: B018

    assert DBTaskResult.objects.count() == 0
    assert jobs_run() == 0 and sample_jobs.CALLS == []


def test_given_a_refused_application_then_no_notice_job(customer, actor):
    with pytest.raises(PoolShort):
        numbers_add(customer_id=customer.pk, count=5, idempotency_key="short", actor=actor)

    assert not DBTaskResult.objects.filter(task_path=application_notice_send.module_path).exists()


def test_given_no_transaction_then_enqueue_is_refused(settings):
    # pytest-django runs the test in a transaction; outside one (autocommit) enqueue must refuse.
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(JobOutsideTransaction):
            enqueue(sample_jobs.remember, value="alone")
    finally:
        connection.in_atomic_block = saved


def test_given_a_job_that_fails_then_it_is_retried_with_growing_delays_until_spent():
    with transaction.atomic():
        job_id = enqueue(sample_jobs.flaky, name="always")
    sample_jobs.FAILURES_LEFT["always"] = 99
    delays = []
    now = timezone.now()
    for attempt in range(1, 4):
        with time_machine.travel(now, tick=False):
            assert jobs_run() == 1
        job = DBTaskResult.objects.get(pk=job_id)
        if attempt < 3:
            assert job.status == TaskResultStatus.READY
            assert job.exception_class_path.endswith("ConnectionRefusedError")
            delays.append(job.run_after - now)
            with time_machine.travel(now, tick=False):
                assert jobs_run() == 0  # not due yet
            now = job.run_after
        else:
            assert job.status == TaskResultStatus.FAILED  # three attempts: the sample's policy
    assert delays == [dt.timedelta(seconds=10), dt.timedelta(seconds=20)]
    assert len(sample_jobs.CALLS) == 3


def test_given_a_failed_job_when_staff_retry_it_then_it_runs_again_and_the_audit_says_so():
    with transaction.atomic():
        job_id = enqueue(sample_jobs.flaky, name="twice")
    sample_jobs.FAILURES_LEFT["twice"] = 3
    now = timezone.now()
    for _ in range(3):
        with time_machine.travel(now, tick=False):
            jobs_run()
        now += dt.timedelta(hours=1)
    assert DBTaskResult.objects.get(pk=job_id).status == TaskResultStatus.FAILED

    job_retry(job_id=job_id, actor=TEST_ACTOR)
    with pytest.raises(JobNotFailed):
        job_retry(job_id=job_id, actor=TEST_ACTOR)  # waiting now, not failed

    assert jobs_run() == 1
    assert DBTaskResult.objects.get(pk=job_id).status == TaskResultStatus.SUCCESSFUL
    (entry,) = AuditEntry.objects.filter(action="job.retried")
    assert entry.target == f"job:{job_id}"
    assert entry.detail == {"task": "flaky", "attempts": 3, "error": "builtins.ConnectionRefusedError"}


def test_given_a_running_job_whose_worker_is_gone_then_it_is_given_back_and_runs_once_more(settings):
    settings.SELFCARE_JOBS_WORKER_LOST_SECONDS = 30
    with transaction.atomic():
        job_id = enqueue(sample_jobs.remember, value="again")
    lost = Worker(until_empty=True, schedules=False, worker_id="lost-worker")
    lost.beat()
    lost.claim_next()  # claimed, then the process "dies" before running it
    assert DBTaskResult.objects.get(pk=job_id).status == TaskResultStatus.RUNNING

    assert lost_jobs_release(now=timezone.now()) == 0  # its worker was seen just now
    later = timezone.now() + dt.timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        assert lost_jobs_release(now=later) == 1
        job = DBTaskResult.objects.get(pk=job_id)
        assert job.status == TaskResultStatus.READY and job.exception_class_path == "selfcare.jobs.WorkerLost"
        assert jobs_run() == 1
    assert sample_jobs.CALLS == ["again"]
    assert DBTaskResult.objects.get(pk=job_id).worker_ids[0] == "lost-worker"


def test_given_a_worker_when_it_stops_then_it_is_no_longer_listed():
    Worker(until_empty=True, schedules=False).run()
    assert WorkerBeat.objects.count() == 0


def test_given_schedules_then_each_due_time_enqueues_its_job_once():
    start = timezone.now()
    first = schedules_enqueue_due(start)
    assert sorted(first) == sorted(SCHEDULES)  # a new install runs each daily job once at start
    assert schedules_enqueue_due(start) == []
    assert DBTaskResult.objects.count() == len(SCHEDULES)

    purge = Schedule.objects.get(name="purge_posted_secrets")
    local = timezone.localtime(purge.next_run_at)
    assert (local.hour, local.minute) == (3, 0) and purge.next_run_at > start
    assert "purge_posted_secrets" in schedules_enqueue_due(purge.next_run_at)
    assert "purge_posted_secrets" not in schedules_enqueue_due(purge.next_run_at + dt.timedelta(hours=23))
    assert DBTaskResult.objects.filter(task_path__endswith="purge_posted_secrets").count() == 2


def test_given_the_periodic_jobs_when_run_by_the_worker_then_they_all_succeed():
    assert Worker(until_empty=True).run() == len(SCHEDULES)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}


def test_given_a_mail_server_down_when_numbers_are_added_then_the_notice_follows_once_it_is_back(
    customer, pool, actor, mailoutbox, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def down(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="smtp-down", actor=actor)
    assert Application.objects.filter(pk=placement.application.pk).exists()  # the application stands
    assert jobs_run() == 1 and mailoutbox == []
    (job,) = DBTaskResult.objects.filter(task_path=application_notice_send.module_path)
    assert job.status == TaskResultStatus.READY and job.exception_class_path.endswith("SMTPServerDisconnected")

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    with time_machine.travel(job.run_after + dt.timedelta(seconds=1), tick=False):
        assert jobs_run() == 1
        assert jobs_run() == 0
    assert len(mailoutbox) == 1 and placement.application.application_number in mailoutbox[0].subject
    assert Effect.objects.filter(key=f"application-notice:{placement.application.pk}").exists()


def test_given_a_notice_already_sent_when_its_job_runs_again_then_no_second_mail(customer, pool, actor, mailoutbox):
    placement = numbers_add(customer_id=customer.pk, count=1, idempotency_key="twice", actor=actor)
    jobs_run()
    with transaction.atomic():  # the same job again, as after a crash between the send and its record
        enqueue(application_notice_send, application_id=placement.application.pk, language="ja")
    jobs_run()

    assert len(mailoutbox) == 1
    assert mailoutbox[0].extra_headers["Message-ID"].endswith("@localhost>")


def test_given_a_job_enqueued_by_a_request_then_it_runs_under_that_request_id():
    from selfcare.ops.request_id import request_id_bound

    with request_id_bound("0123456789abcdef0123456789abcdef"), transaction.atomic():
        job_id = enqueue(sample_jobs.request_id_seen)
    with transaction.atomic():
        enqueue(sample_jobs.request_id_seen)  # a command's job: a fresh id of its own

    jobs_run()

    assert DBTaskResult.objects.get(pk=job_id).args_kwargs["request_id"] == "0123456789abcdef0123456789abcdef"
    assert sample_jobs.CALLS[0] == "0123456789abcdef0123456789abcdef"
    assert len(sample_jobs.CALLS[1]) == 32 and sample_jobs.CALLS[1] != sample_jobs.CALLS[0]


@pytest.mark.django_db(transaction=True)
def test_given_the_database_lost_for_a_moment_then_the_worker_carries_on_and_gives_back_the_job_it_held(
    monkeypatch,
):
    from django.db import OperationalError

    with transaction.atomic():
        job_id = enqueue(sample_jobs.remember, value="kept")
    worker = Worker(schedules=False, interval=0.01)
    monkeypatch.setattr(worker._stop, "wait", lambda seconds: False)  # no sleeping in the test
    monkeypatch.setattr(worker, "_beat_forever", lambda: None)  # its thread would open a connection of its own
    real_claim, real_done = Worker.claim_next, DBTaskResult.set_successful
    outages = {"claim": 1, "done": 1}

    def claim(self):
        if outages["claim"]:
            outages["claim"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real_claim(self)

    def done(self, value):
        if outages["done"]:
            outages["done"] -= 1
            raise OperationalError("the connection is closed")
        real_done(self, value)
        worker.running = False  # stop after the job is recorded

    monkeypatch.setattr(Worker, "claim_next", claim)
    monkeypatch.setattr(DBTaskResult, "set_successful", done)
    worker.run()

    job = DBTaskResult.objects.get(pk=job_id)
    assert job.status == TaskResultStatus.SUCCESSFUL and len(job.worker_ids) == 2
    assert sample_jobs.CALLS == ["kept", "kept"]  # run again: its effects are done once (effect_once)
