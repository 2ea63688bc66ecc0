from __future__ import annotations

import re

import pytest

from selfcare.testing import CUSTOMER_PASSWORD as PASSWORD  # the login_customer fixture's (root conftest.py)
from selfcare.testing import login_code


@pytest.fixture
def logged_in(client, login_customer, mailoutbox):
    """A client past both login steps."""
    response = client.post("/login/", {"selfcare_id": login_customer.selfcare_id, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/login/verify/"
    response = client.post("/login/verify/", {"code": login_code(mailoutbox[-1])})
    assert response.status_code == 302 and response.url == "/menu/"
    return client


# The portal in a browser (the ``browser`` and ``tabs`` fixtures are the root conftest's) ----------------


@pytest.fixture
def site(live_server, transactional_db, login_customer, pool, mailoutbox):
    """The portal on a live server, with a customer who can log in and a pool to add numbers from."""
    from selfcare.portal.tests.browser_support import Site

    return Site(base=live_server.url, customer=login_customer, outbox=mailoutbox)


@pytest.fixture(scope="module")
def axe_core():
    """For a browser test module that checks pages with axe-core: fails it (never skips) when axe-core is missing."""
    from selfcare.portal.tests.browser_support import AXE

    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/_env.sh (npm ci installs axe-core).")


# Added for the portal's view tests ----------------------------------------------------------


@pytest.fixture
def frozen(time_machine):
    """The clock stands still at the current second until the test moves it (``frozen.shift(...)``)."""
    from django.utils import timezone

    time_machine.move_to(timezone.now().replace(microsecond=0), tick=False)
    return time_machine


@pytest.fixture
def other_customer(db, plan):
    from selfcare.testing import CustomerFactory

    other = CustomerFactory(plan=plan)
    other.user.set_password(PASSWORD)
    other.user.save()
    return other


def html(response) -> str:
    return response.content.decode()


def error_text(response) -> str | None:
    """The text of the page's error paragraph (``<p class="error" role="alert">``), if any."""
    match = re.search(r'<p class="error" role="alert">(.*?)</p>', html(response), re.S)
    return match.group(1).strip() if match else None


def notice_text(response) -> str | None:
    match = re.search(r'<p class="notice" role="status">(.*?)</p>', html(response), re.S)
    return match.group(1).strip() if match else None


def password_step(client, selfcare_id: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"selfcare_id": selfcare_id, "password": password}, **extra)


def log_in(client, customer, mailoutbox, password: str = PASSWORD) -> None:
    """Both login steps; fails the test if either is refused."""
    response = password_step(client, customer.selfcare_id, password)
    assert response.status_code == 302 and response.url == "/login/verify/", error_text(response)
    response = client.post("/login/verify/", {"code": login_code(mailoutbox[-1])})
    assert response.status_code == 302 and response.url == "/menu/", error_text(response)


def draft(client, count) -> str:
    """Enter a count on the input page; return the confirm page's token."""
    response = client.post("/numbers/add/", {"count": str(count)})
    assert response.status_code == 302, html(response)
    assert response.url.startswith("/numbers/add/confirm/?token=")
    return response.url.split("token=", 1)[1]


def place(client, count) -> str:
    """Enter, confirm and execute; return the application page's URL."""
    token = draft(client, count)
    response = client.post("/numbers/add/execute/", {"token": token})
    assert response.status_code == 302 and response.url.startswith("/applications/"), response
    return response.url
