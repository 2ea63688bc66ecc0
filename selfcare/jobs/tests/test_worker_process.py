"""A real worker process, killed with SIGKILL in the middle of sending a notice: the notice is sent once.

The mail server holds the first delivery's DATA unanswered; the worker is killed while it waits. Its
job stays RUNNING until the worker is no longer seen, another worker takes it, and the customer gets
one notice (the first delivery never completed). PostgreSQL: two processes share the committed rows.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from selfcare.jobs.models import Effect
from selfcare.orders.jobs import application_notice_send
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, CustomerFactory, pool_add

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]


class HoldFirst:
    """Keeps the first message's DATA unanswered (the sender is killed meanwhile); accepts the others."""

    def __init__(self) -> None:
        self.first_arrived = threading.Event()
        self.calls = 0
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        if self.calls == 1:
            self.first_arrived.set()
            await asyncio.sleep(120)
            return "451 too late"
        self.accepted.append(envelope.original_content or envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_env(smtp_port: int) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "selfcare.jobs.tests.worker_settings",
        "DATABASE_URL": url,
        "SELFCARE_TEST_SMTP_PORT": str(smtp_port),
        "SELFCARE_JOBS_WORKER_LOST_SECONDS": "3",
    }
    return env


def _worker(smtp_port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "jobs_worker", "--no-schedules", "--interval", "0.2"],
        cwd=ROOT,
        env=_worker_env(smtp_port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _worker_until_empty(smtp_port: int) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "jobs_worker", "--no-schedules", "--until-empty"],
        cwd=ROOT,
        env=_worker_env(smtp_port),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout + done.stderr


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s for {what}")


def test_given_a_worker_killed_while_sending_a_notice_then_another_sends_it_once():
    handler = HoldFirst()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    workers: list[subprocess.Popen] = []
    try:
        customer = CustomerFactory()
        pool_add("05000000000", 5)
        placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="killed", actor=TEST_ACTOR)
        (job,) = DBTaskResult.objects.filter(task_path=application_notice_send.module_path)

        workers.append(_worker(port))
        assert handler.first_arrived.wait(60), "the first worker never reached the mail server"
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        job.refresh_from_db()
        assert job.status == TaskResultStatus.RUNNING  # left so by the killed worker

        workers.append(_worker(port))
        _wait(lambda: len(handler.accepted) == 1, 60, "the notice from the second worker")
        _wait(
            lambda: DBTaskResult.objects.get(pk=job.pk).status == TaskResultStatus.SUCCESSFUL, 30, "the job to finish"
        )
        time.sleep(1)  # a second notice, were there one, would have come by now

        assert len(handler.accepted) == 1 and handler.calls == 2
        assert placement.application.application_number.encode() in handler.accepted[0]
        job.refresh_from_db()
        assert len(job.worker_ids) == 2 and job.exception_class_path == ""
        assert Effect.objects.filter(key=f"application-notice:{placement.application.pk}").exists()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    worker.kill()
        controller.stop()


class Accept:
    def __init__(self) -> None:
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.accepted.append(envelope.original_content or envelope.content)
        return "250 OK"


def test_given_the_mail_server_down_during_an_application_then_the_notice_goes_once_it_is_back():
    port = _free_port()  # nothing listens there yet: the mail server is down
    customer = CustomerFactory()
    pool_add("05000000000", 5)
    placement = numbers_add(customer_id=customer.pk, count=3, idempotency_key="smtp-down", actor=TEST_ACTOR)

    output = _worker_until_empty(port)
    (job,) = DBTaskResult.objects.filter(task_path=application_notice_send.module_path)
    assert "attempt 1 of 10 failed (ConnectionRefusedError)" in output
    assert job.status == TaskResultStatus.READY and job.run_after > timezone.now()  # waits for its next attempt
    assert placement.application.lines.count() == 3  # the application stands

    handler = Accept()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        DBTaskResult.objects.filter(pk=job.pk).update(run_after=timezone.now())  # its next attempt is due
        _worker_until_empty(port)
        _worker_until_empty(port)  # and nothing more to send
    finally:
        controller.stop()

    assert len(handler.accepted) == 1
    assert placement.application.application_number.encode() in handler.accepted[0]
    assert DBTaskResult.objects.get(pk=job.pk).status == TaskResultStatus.SUCCESSFUL
