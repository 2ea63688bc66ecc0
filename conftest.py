from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from selfcare.testing import CUSTOMER_PASSWORD, TEST_ACTOR, CustomerFactory, PlanFactory, pool_add


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A browser test drives the same views the test client does on both databases: it runs in the SQLite pass
    # (scripts/test's PostgreSQL pass selects "not once"), unless it needs PostgreSQL itself.
    once = pytest.mark.once
    for item in items:
        if "browser" in item.keywords and "postgres" not in item.keywords:
            item.add_marker(once)
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run scripts/test (sets DATABASE_URL) or set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The login throttles count in the (process-local in tests) cache: every test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def argon2(settings):
    """Hash with the production hashers (Argon2id first) in this test; the others hash fast (settings/test.py)."""
    settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS
    assert settings.PASSWORD_HASHERS[0] == "selfcare.accounts.hashers.Argon2idHasher"


# Browser tests (marked ``browser``): Debian's Chromium through Playwright ---------------------------------


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the test module (fails, never skips, when it is missing).

    Module-scoped, so it starts before the test's own fixtures: a test whose database fixtures must come first
    (a PostgreSQL one) opens ``chromium_browser()`` itself instead.
    """
    from selfcare.portal.tests.browser_support import chromium_browser

    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def tabs(browser):
    """Browser contexts for one test, closed after it; collects console errors, uncaught exceptions, CSP refusals."""
    from selfcare.portal.tests.browser_support import Tabs

    opened = Tabs(browser)
    yield opened
    opened.close()


@pytest.fixture
def actor():
    return TEST_ACTOR


@pytest.fixture
def plan(db):
    return PlanFactory()


@pytest.fixture
def customer(db, plan):
    return CustomerFactory(plan=plan)


@pytest.fixture
def login_customer(customer):
    """The customer, with ``CUSTOMER_PASSWORD`` as their self-care password."""
    customer.user.set_password(CUSTOMER_PASSWORD)
    customer.user.save()
    return customer


@pytest.fixture
def pool(db):
    """A pool of 200 fresh numbers, 05000000000 onwards."""
    return pool_add("05000000000", 200)
