"""selfcare.testing.login_code: the tests' one way of reading the login code from the e-mail that carries it."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage

from selfcare.accounts.login import login_code_send, login_code_verify
from selfcare.testing import login_code

IP = "192.0.2.1"


def test_given_a_sent_login_code_then_the_code_read_from_the_mail_logs_in(customer, mailoutbox):
    login_code_send(user_id=customer.user.pk, ip=IP)

    (mail,) = mailoutbox
    code = login_code(mail)

    assert len(code) == 6 and code.isdigit()
    assert login_code(mail.body) == code
    assert login_code_verify(user_id=customer.user.pk, code=code, ip=IP).pk == customer.user.pk


def test_given_other_six_digits_in_the_text_then_only_the_line_holding_the_code_counts():
    body = "Tel 012345 or 050-1234-5678, order 654321 today.\n\n    246810\n\nValid 10 minutes (100000 s max)."

    assert login_code(EmailMessage(body=body)) == "246810"


def test_given_a_mail_without_a_code_then_the_test_fails_showing_the_body():
    with pytest.raises(AssertionError, match="no code here"):
        login_code("no code here 123456 inline")
