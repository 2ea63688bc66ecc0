"""A mail server that fails after 実行 never costs the customer the application, nor the notice."""

import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from selfcare.orders.jobs import application_notice_send
from selfcare.orders.models import Application
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, CustomerFactory, jobs_run, pool_add


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_leaves_the_application_and_the_notice_waits_for_its_next_attempt(
    monkeypatch, caplog, mailoutbox
):
    customer = CustomerFactory()
    pool_add("05000000000", 5)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="k1", actor=TEST_ACTOR)
    jobs_run()

    assert Application.objects.filter(pk=placement.application.pk).exists()
    (job,) = DBTaskResult.objects.filter(task_path=application_notice_send.module_path)
    assert job.status == TaskResultStatus.READY and "mail server down" in job.traceback
    assert "attempt 1 of 10 failed (SMTPServerDisconnected)" in caplog.text
    assert mailoutbox == []
