"""The fault and load tests run against the real stack (loadtests/stack.py): nginx, two gunicorn
instances, a PostgreSQL cluster of their own. They are marked ``stack`` (and ``postgres``, so the
SQLite run leaves them out); the 10-minute soak is marked ``soak`` and runs only when asked for
with ``-m soak``."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from loadtests.client import Browser, Outcome
from loadtests.stack import ROOT, Stack

ARTIFACTS = ROOT / "test-artifacts" / "loadtests"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "soak" in (config.getoption("markexpr", "") or ""):
        return
    soak = [item for item in items if item.get_closest_marker("soak")]
    if soak:
        config.hook.pytest_deselected(items=soak)
        items[:] = [item for item in items if not item.get_closest_marker("soak")]


@pytest.fixture
def make_stack():
    """Start a stack with the given options; stopped (and its files removed) after the test."""
    started: list[Stack] = []

    def make(**options) -> Stack:
        stack = Stack(**options)
        started.append(stack)
        return stack.start()

    yield make
    for stack in started:
        stack.stop()


def browser(stack: Stack) -> Browser:
    return Browser(stack.url, stack.certificate, stack.mail_dir)


def logged_in(stack: Stack, index: int) -> Browser:
    customer = browser(stack)
    customer.login(index, stack.password)
    return customer


def seen_pages(customers: list[Browser]) -> list:
    return [response for customer in customers for response in customer.history]


def assert_no_trace(customers: list[Browser]) -> None:
    """Every page a customer saw was a page of ours: never a trace, never nginx's own page."""
    for response in seen_pages(customers):
        outcome = Outcome(response.status_code, response.url, response.text)
        assert not outcome.shows_trace, f"{response.status_code} {response.url}: {response.text[:500]}"
        if response.status_code >= 400:
            assert outcome.is_our_error_page, f"{response.status_code} {response.url}: {response.text[:500]}"


def run_threads(targets: list, *, start_together: bool = True) -> list:
    """Run each callable in its own thread (released together by a barrier); their results or errors."""
    results: list = [None] * len(targets)
    barrier = threading.Barrier(len(targets))

    def run(position: int) -> None:
        if start_together:
            barrier.wait()
        try:
            results[position] = targets[position]()
        except Exception as error:
            results[position] = error

    threads = [threading.Thread(target=run, args=(position,)) for position in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def write_artifact(name: str, data: dict) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return path


def assert_consistent(stack: Stack) -> dict:
    """check_invariants passes, and the rows agree: every application whole, no number held twice."""
    check = stack.manage("check_invariants", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    partial = stack.sql(
        "SELECT a.application_number, a.count, count(l.id) FROM orders_application a "
        "LEFT JOIN orders_issuedline l ON l.application_id = a.id GROUP BY a.id HAVING count(l.id) <> a.count"
    )
    assert partial == [], f"applications without all their lines: {partial}"
    twice = stack.sql(
        "SELECT number, count(*) FROM orders_issuedline WHERE cancellation_id IS NULL "
        "GROUP BY number HAVING count(*) > 1"
    )
    assert twice == [], f"numbers issued twice: {twice}"
    ((applications, numbers_in_applications),) = stack.sql(
        "SELECT count(*), coalesce(sum(count), 0) FROM orders_application"
    )
    ((lines,),) = stack.sql("SELECT count(*) FROM orders_issuedline")
    ((assigned,),) = stack.sql("SELECT count(*) FROM inventory_phonenumber WHERE status = 'assigned'")
    assert numbers_in_applications == lines == assigned, (numbers_in_applications, lines, assigned)
    ((added,),) = stack.sql("SELECT coalesce(sum(numbers_added), 0) FROM accounts_customer")
    assert added == lines, (added, lines)
    return {"applications": applications, "numbers": lines}
