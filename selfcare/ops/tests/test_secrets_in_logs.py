"""No password, code, digest or session key reaches the logs: a whole customer flow logged at DEBUG, then searched.

The worst case is logged: DEBUG on (Django writes every SQL statement with its parameters only then) and
every logger at DEBUG, through the production configuration (``logging_config``, JSON). The SQL log
would carry the registrar's digests and the encrypted passwords among an insert's parameters: the
configuration holds ``django.db.backends`` at INFO whatever the level, and the control test below shows
that without that hold the search does find the digest, so the search can see a leak when there is one.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from selfcare.accounts.models import User
from selfcare.accounts.services import customer_reset_password
from selfcare.core import crypto
from selfcare.letters.models import Letter
from selfcare.ops.logs import logging_config
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import sip_password_reissue
from selfcare.portal.tests.conftest import PASSWORD, log_in, password_step, place
from selfcare.testing import TEST_ACTOR, login_code

NEW_PASSWORD = "a second phrase the customer chose"
FINAL_PASSWORD = "and a third phrase after the reset"
WRONG_PASSWORD = "a wrong guess typed at the login"


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]


def _configure(capture: Captured, *, hold_sql: bool) -> None:
    config = logging_config(log_format="json", level="DEBUG")
    config["handlers"]["console"] = {
        "()": lambda: logging.StreamHandler(capture.stream),
        "formatter": "json",
        "filters": ["request_id"],
    }
    if not hold_sql:
        config["loggers"]["django.db.backends"] = {"level": "DEBUG"}
    logging.config.dictConfig(config)


@pytest.fixture
def logs(settings) -> Iterator[Captured]:
    settings.DEBUG = True
    capture = Captured()
    _configure(capture, hold_sql=True)
    try:
        yield capture
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


def _absent(secret: str, text: str) -> bool:
    # A standalone occurrence: a 6-digit code inside a longer run of digits is not the code.
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text) is None


def _line_secrets(line: IssuedLine) -> list[str]:
    line.refresh_from_db()
    return [
        crypto.decrypt(line.service_pin_encrypted),
        crypto.decrypt(line.sip_password_encrypted),
        line.service_pin_encrypted,
        line.sip_password_encrypted,
        line.sip_ha1,
        line.sip_ha1b,
    ]


def test_a_whole_customer_flow_at_debug_logs_no_secret(
    client, customer, pool, mailoutbox, settings, logs, time_machine
):
    time_machine.move_to(timezone.now())
    settings.SELFCARE_SERVICE_PIN_LENGTH = 8  # a 4-digit PIN could stand alone in a log by chance
    customer.user.set_password(PASSWORD)
    customer.user.save()
    secrets = [PASSWORD, NEW_PASSWORD, FINAL_PASSWORD, WRONG_PASSWORD]

    # The login, a wrong password and a wrong code on the way.
    password_step(client, customer.selfcare_id, WRONG_PASSWORD)
    password_step(client, customer.selfcare_id)
    code = login_code(mailoutbox[-1])
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    client.post("/login/verify/", {"code": wrong_code})
    assert client.post("/login/verify/", {"code": code}).url == "/menu/"
    secrets += [code, wrong_code, client.cookies["sessionid"].value]

    # Numbers added and their passwords shown.
    application_page = client.get(place(client, 3))
    assert application_page.status_code == 200
    lines = list(IssuedLine.objects.filter(customer=customer))
    for line in lines:
        secrets += _line_secrets(line)
        assert crypto.decrypt(line.sip_password_encrypted) in application_page.content.decode()

    # The customer's own change of password, the current one mistyped once.
    client.post(
        "/password/", {"old_password": WRONG_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    client.post("/logout/")

    # Staff reset the password (a letter carries it); the customer logs in with it and must change it.
    time_machine.shift(dt.timedelta(minutes=2))  # a new login code may be sent
    reset = customer_reset_password(customer_id=customer.pk, actor=TEST_ACTOR)
    secrets.append(reset)
    secrets += [letter.secret_encrypted for letter in Letter.objects.exclude(secret_encrypted="")]
    log_in(client, customer, mailoutbox, password=reset)
    secrets.append(login_code(mailoutbox[-1]))
    client.post("/password/", {"old_password": reset, "new_password1": FINAL_PASSWORD, "new_password2": FINAL_PASSWORD})
    assert User.objects.get(pk=customer.user_id).check_password(FINAL_PASSWORD)
    secrets.append(client.cookies["sessionid"].value)
    client.post("/logout/")

    # The forgotten-password letter: a new initial password on paper.
    client.post("/login/forgotten/", {"selfcare_id": customer.selfcare_id, "email": customer.user.email})
    for letter in Letter.objects.exclude(secret_encrypted=""):
        secrets += [letter.secret_encrypted, crypto.decrypt(letter.secret_encrypted)]

    # Staff reissue an IP phone password: new password, new digests.
    sip_password_reissue(line_id=lines[0].pk, actor=TEST_ACTOR)
    secrets += _line_secrets(lines[0])

    records = logs.records()
    assert len([r for r in records if r["logger"] == "selfcare.access"]) >= 12  # one JSON object a line
    assert not [r for r in records if r["logger"].startswith("django.db.backends")]
    assert len(set(secrets)) >= 4 + 3 + 3 * 6 + 2
    leaked = [secret for secret in secrets if secret and not _absent(secret, logs.text)]
    assert leaked == []


def test_control_without_the_hold_the_sql_log_carries_the_digest(client, customer, pool, actor, settings):
    # The search above can find a leak: let django.db.backends log at DEBUG, and the digest is there.
    from selfcare.orders.services import numbers_add

    settings.DEBUG = True
    capture = Captured()
    _configure(capture, hold_sql=False)
    try:
        numbers_add(customer_id=customer.pk, count=1, idempotency_key="control", actor=actor)
    finally:
        logging.config.dictConfig(django_settings.LOGGING)

    line = IssuedLine.objects.get(customer=customer)
    assert not _absent(line.sip_ha1, capture.text)
