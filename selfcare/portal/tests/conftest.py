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


# Added for the portal's view tests ----------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The per-IP failure counter lives in the (process-local in tests) cache: start every test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 costs ~0.2 s a hash; these tests log in hundreds of times. Tests asking for ``argon2`` keep it."""
    if "argon2" in request.fixturenames:
        return
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture
def argon2(settings):
    """Keep the production password hasher (Argon2) for this test."""
    assert settings.PASSWORD_HASHERS[0] == "selfcare.accounts.hashers.Argon2idHasher"


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
    response = client.post("/login/verify/", {"code": code_from(mailoutbox[-1])})
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
