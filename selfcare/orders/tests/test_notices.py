from __future__ import annotations

import pytest

from selfcare.orders.errors import PoolShort
from selfcare.orders.services import numbers_add
from selfcare.testing import jobs_run


def test_given_an_application_when_committed_then_the_customer_gets_a_notice_without_passwords(
    customer, pool, actor, mailoutbox
):
    placement = numbers_add(customer_id=customer.pk, count=2, idempotency_key="notice", actor=actor)
    jobs_run()

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [customer.user.email]
    assert placement.application.application_number in mail.subject
    assert "050-0000-0000" in mail.body and "050-0000-0001" in mail.body
    words = mail.body.split()
    for line in placement.application.lines.all():
        assert line.sip_password() not in mail.body
        assert line.service_pin() not in words


def test_given_a_refused_application_then_no_notice_is_sent(customer, actor, mailoutbox):
    with pytest.raises(PoolShort):
        numbers_add(customer_id=customer.pk, count=5, idempotency_key="short", actor=actor)
    jobs_run()

    assert mailoutbox == []


def test_given_a_repeated_key_then_no_second_notice(customer, pool, actor, mailoutbox):
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="same", actor=actor)
    jobs_run()
    numbers_add(customer_id=customer.pk, count=1, idempotency_key="same", actor=actor)
    jobs_run()

    assert len(mailoutbox) == 1
