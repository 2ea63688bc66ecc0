"""A mail server that fails after 実行 never costs the customer the application's page."""

import smtplib

import pytest

from selfcare.orders.models import Application
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, CustomerFactory, pool_add


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_is_logged_and_the_application_stands(monkeypatch, caplog):
    customer = CustomerFactory()
    pool_add("05000000000", 5)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr("selfcare.orders.notices.send_mail", refuse)
    placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="k1", actor=TEST_ACTOR)

    assert Application.objects.filter(pk=placement.application.pk).exists()
    assert "mail server down" in caplog.text
