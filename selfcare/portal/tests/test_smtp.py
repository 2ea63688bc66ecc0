"""The login code travels through a real SMTP server (aiosmtpd on a free local port)."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from selfcare.portal.tests.conftest import PASSWORD, error_text, password_step
from selfcare.testing import login_code


class Collector:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "selfcare@example.invalid"
    try:
        yield collector
    finally:
        controller.stop()


def body_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_given_a_real_smtp_server_when_logging_in_then_the_code_arrives_by_smtp_and_completes_the_login(
    argon2, client, login_customer, smtp_server
):
    assert login_customer.user.password.startswith("argon2")

    response = password_step(client, login_customer.selfcare_id, PASSWORD)
    assert response.status_code == 302 and response.url == "/login/verify/", error_text(response)

    assert len(smtp_server.messages) == 1
    mail_from, rcpt_tos = smtp_server.envelopes[0]
    assert mail_from == "selfcare@example.invalid"
    assert rcpt_tos == [login_customer.user.email]
    code = login_code(body_of(smtp_server.messages[0]))
    assert smtp_server.messages[0]["Subject"]

    done = client.post("/login/verify/", {"code": code})

    assert done.status_code == 302 and done.url == "/menu/"
    assert client.get("/menu/").status_code == 200


def test_given_no_smtp_server_listening_when_logging_in_then_a_clear_notice_and_no_500(
    client, login_customer, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2

    response = password_step(client, login_customer.selfcare_id, PASSWORD)
    page = client.get(response.url)

    assert response.status_code == 302 and response.url == "/login/verify/"
    assert page.status_code == 200
    assert error_text(page).startswith("認証コードをメールで送信できませんでした。")
    assert "お送りしました" not in page.content.decode()
    assert "以降に送信できます" in page.content.decode()
