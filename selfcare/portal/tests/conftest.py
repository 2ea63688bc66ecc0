from __future__ import annotations

import re

import pytest

PASSWORD = "correct horse battery staple"


@pytest.fixture
def login_customer(customer):
    customer.user.set_password(PASSWORD)
    customer.user.save()
    return customer


def code_from(mail) -> str:
    match = re.search(r"^\s+(\d{6})\s*$", mail.body, re.MULTILINE)
    assert match, mail.body
    return match.group(1)


@pytest.fixture
def logged_in(client, login_customer, mailoutbox):
    """A client past both login steps."""
    response = client.post("/login/", {"selfcare_id": login_customer.selfcare_id, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/login/verify/"
    response = client.post("/login/verify/", {"code": code_from(mailoutbox[-1])})
    assert response.status_code == 302 and response.url == "/menu/"
    return client
