"""Fault and load tests against nginx + two gunicorn instances (three workers each) + PostgreSQL.

Nothing here is mocked: the processes are real, a worker really gets SIGKILL, PostgreSQL really
stops (immediate mode: as a crash) and starts again. Afterwards ``check_invariants`` runs and the
rows are counted (``assert_consistent``).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import pytest
from django.utils import translation

from loadtests.client import Browser, FlowError, Outcome, numbers_on
from loadtests.conftest import (
    assert_consistent,
    assert_no_trace,
    logged_in,
    run_threads,
    seen_pages,
    write_artifact,
)
from selfcare.orders.errors import PoolShort

pytestmark = [pytest.mark.stack, pytest.mark.postgres]


def until_it_works(attempt, seconds: float = 30.0):
    """Retry as a customer would (every half second) until the page works or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            outcome = attempt()
            if outcome.application_number or time.monotonic() > deadline:
                return outcome
        except FlowError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def test_fifty_concurrent_executes_of_one_confirmation_make_one_application(make_stack):
    stack = make_stack(customers=1, pool=500)
    customer = logged_in(stack, 1)
    token, csrf = customer.confirm(3)
    tabs = [customer.clone() for _ in range(50)]

    outcomes = run_threads([lambda tab=tab: tab.execute(token, csrf) for tab in tabs])

    errors = [outcome for outcome in outcomes if not isinstance(outcome, Outcome)]
    assert errors == []
    rows = stack.sql("SELECT application_number, count FROM orders_application")
    assert len(rows) == 1 and rows[0][1] == 3
    number = rows[0][0]
    # Every press of 実行 ends on the one application, with its three numbers.
    assert {outcome.status for outcome in outcomes} == {200}
    assert {outcome.application_number for outcome in outcomes} == {number}
    shown = {tuple(numbers_on(outcome)) for outcome in outcomes}
    assert len(shown) == 1 and len(shown.pop()) == 3
    assert stack.sql("SELECT numbers_added FROM accounts_customer") == [(3,)]
    assert_no_trace(tabs)
    assert_consistent(stack)


def test_pool_running_dry_while_twenty_customers_apply_at_once(make_stack):
    stack = make_stack(customers=20, pool=95)
    customers = [logged_in(stack, index) for index in range(1, 21)]
    confirmations = [customer.confirm(10) for customer in customers]

    outcomes = run_threads(
        [lambda c=customer, t=pair: c.execute(*t) for customer, pair in zip(customers, confirmations, strict=True)]
    )

    with translation.override("ja"):
        refusal = str(PoolShort(requested=10))
    placed = [outcome for outcome in outcomes if outcome.application_number]
    refused = [outcome for outcome in outcomes if not outcome.application_number]
    # Nine whole applications of ten numbers; the other eleven are refused with the reason, nothing added.
    assert len(placed) == 9
    assert all(len(numbers_on(outcome)) == 10 for outcome in placed)
    assert len(refused) == 11
    assert all(outcome.status == 200 and refusal in outcome.text for outcome in refused)
    assert stack.sql("SELECT count(*) FROM inventory_phonenumber WHERE status = 'free'") == [(5,)]
    assert assert_consistent(stack) == {"applications": 9, "numbers": 90}
    assert_no_trace(customers)


def test_worker_killed_and_database_restarted_while_applications_are_in_flight(make_stack):
    stack = make_stack(customers=20, limit=5000, pool=20000)
    customers = [logged_in(stack, index) for index in range(1, 21)]
    stop = threading.Event()
    log: dict[int, list] = {index: [] for index in range(20)}

    crashed: list[BaseException] = []

    def apply_until_stopped(position: int) -> None:
        try:
            apply_loop(position)
        except BaseException as error:
            crashed.append(error)

    def apply_loop(position: int) -> None:
        customer = customers[position]
        rng = random.Random(position)
        while not stop.is_set():
            try:
                token, csrf = customer.confirm(rng.randint(1, 5))
            except FlowError:  # the input or confirm page was an error page: try again
                time.sleep(0.2)
                continue
            outcome = customer.execute(token, csrf)
            log[position].append((token, csrf, outcome))

    threads = [threading.Thread(target=apply_until_stopped, args=(position,)) for position in range(20)]
    for thread in threads:
        thread.start()
    faults: list[str] = []
    try:
        time.sleep(2)
        # A worker caught between taking the numbers and committing, stopped there, then killed.
        caught = stack.freeze_worker_inside_transaction("INSERT INTO %orders_issuedline%")
        assert caught is not None, "no worker was seen inside an application's transaction"
        victims = [caught[0]]
        os.kill(caught[0].pid, signal.SIGKILL)
        faults.append(f"SIGKILL worker {caught[0].pid} inside the transaction of an application ({caught[1][:60]}...)")
        time.sleep(1)
        victims.append(random.choice([w for w in stack.all_workers() if w.pid != caught[0].pid]))
        os.kill(victims[1].pid, signal.SIGKILL)
        faults.append(f"SIGKILL worker {victims[1].pid} (any)")
        time.sleep(2)
        stack.pg.stop("immediate")  # as a crash: no checkpoint, recovery from the WAL on start
        faults.append("PostgreSQL stopped (immediate)")
        time.sleep(2)
        stack.pg.start()
        faults.append("PostgreSQL started")
        time.sleep(4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

    assert crashed == []
    outcomes = [outcome for entries in log.values() for _, _, outcome in entries]
    failed = [outcome for outcome in outcomes if not outcome.application_number]
    # The faults hit something (else this test shows nothing), and every failure was our error page.
    assert failed, "no application in flight was hit by the faults"
    strange = [(o.status, o.url, o.text[:2000]) for o in failed if not o.is_our_error_page]
    assert strange == []
    assert_no_trace(customers)
    # The request of the worker killed mid-transaction got nginx's 502, shown as our page.
    assert 502 in {response.status_code for response in seen_pages(customers)}

    # The service recovers by itself: the killed workers are replaced, every customer can apply again.
    stack.wait_for_workers()
    assert not {victim.pid for victim in victims} & {worker.pid for worker in stack.all_workers()}
    recovery_started = time.monotonic()
    recovered = run_threads([lambda c=customer: until_it_works(lambda: c.add_numbers(1)) for customer in customers])
    recovery_seconds = time.monotonic() - recovery_started
    not_recovered = [
        o if not isinstance(o, Outcome) else (o.status, o.url, o.text[-3000:])
        for o in recovered
        if not (isinstance(o, Outcome) and o.application_number)
    ]
    assert not_recovered == []

    # Whoever saw an error page presses 実行 again: one application at most, never a second.
    for position, entries in log.items():
        for token, csrf, outcome in entries:
            if outcome.application_number:
                continue
            before = stack.sql("SELECT count(*) FROM orders_application WHERE idempotency_key = %s", (token,))[0][0]
            again = customers[position].execute(token, csrf)
            after = stack.sql("SELECT count(*) FROM orders_application WHERE idempotency_key = %s", (token,))[0][0]
            # Placed before the fault, or placed now (the first press added nothing), or start again.
            assert before <= after <= 1
            if after:
                assert again.application_number
            else:
                assert again.status == 200 and again.url.endswith("/numbers/add/")
    # Every application a customer was shown is in the database with the numbers shown.
    for outcome in outcomes + recovered:
        if outcome.application_number:
            held = stack.sql(
                "SELECT l.number FROM orders_issuedline l JOIN orders_application a ON a.id = l.application_id "
                "WHERE a.application_number = %s ORDER BY 1",
                (outcome.application_number,),
            )
            assert [row[0] for row in held] == numbers_on(outcome), (outcome.url, outcome.text[-4000:])
    totals = assert_consistent(stack)
    write_artifact(
        "faults.json",
        {
            "faults": faults,
            "executes": len(outcomes),
            "placed": len(outcomes) - len(failed),
            "error_pages": len(failed),
            "error_statuses": sorted({outcome.status for outcome in failed}),
            "recovery_seconds": round(recovery_seconds, 1),
            **totals,
        },
    )


def test_login_lock_and_throttle_hold_across_both_app_servers(make_stack):
    """Failures land on both instances (round robin) and still add up: the account lock is in the
    database, the per-client throttle in the shared cache, neither in one process's memory."""
    from selfcare.accounts import login as login_steps
    from selfcare.accounts.login_errors import LoginRefused, TooManyAttempts

    stack = make_stack(customers=2, pool=10)
    client = Browser(stack.url, stack.certificate, stack.mail_dir)

    csrf = client.csrf(client.get("/login/"))

    def attempt(selfcare_id: str, password: str):  # POST after POST: nginx alternates the two servers
        return client.post("/login/", {"selfcare_id": selfcare_id, "password": password}, csrf)

    with translation.override("ja"):
        refused = str(LoginRefused())
        throttled = str(TooManyAttempts(minutes=login_steps.IP_WINDOW_SECONDS // 60))
    for _ in range(login_steps.LOCK_AFTER_FAILURES):
        assert refused in attempt("load0001", "not-the-password").text
    # Locked: even the right password is refused now.
    locked = attempt("load0001", stack.password)
    assert locked.url.endswith("/login/") and refused in locked.text
    # The client's failures go on counting, whichever server answers, until the client is throttled.
    failures = login_steps.LOCK_AFTER_FAILURES + 1
    while failures < login_steps.IP_FAILURES_ALLOWED:
        attempt(f"nobody{failures:04d}", "not-the-password")
        failures += 1
    blocked = attempt("load0002", stack.password)
    assert blocked.url.endswith("/login/") and throttled in blocked.text
    assert len(stack.upstreams_seen("POST", "/login/")) == 2
    assert_no_trace([client])


def test_a_burst_of_60_parallel_login_attempts_from_one_client_is_held_to_the_allowance(make_stack):
    """60 wrong passwords from one client at the same instant, spread over both app servers and six
    workers: each attempt is counted in the shared cache before it is worked on, so at most the
    allowance (30) is processed and the rest are throttled without touching a password."""
    from selfcare.accounts import login as login_steps
    from selfcare.accounts.login_errors import LoginRefused, TooManyAttempts

    stack = make_stack(customers=1, pool=10)
    first = Browser(stack.url, stack.certificate, stack.mail_dir)
    csrf = first.csrf(first.get("/login/"))
    clients = [first.clone() for _ in range(60)]
    with translation.override("ja"):
        refused = str(LoginRefused())
        throttled = str(TooManyAttempts(minutes=login_steps.IP_WINDOW_SECONDS // 60))

    def attempt(client: Browser, n: int):
        return lambda: client.post("/login/", {"selfcare_id": f"burst{n:04d}", "password": "not-the-password"}, csrf)

    responses = run_threads([attempt(client, n) for n, client in enumerate(clients)])

    assert not [r for r in responses if isinstance(r, Exception)], responses
    answers = [
        ("refused" if refused in r.text else "throttled" if throttled in r.text else r.status_code) for r in responses
    ]
    processed = stack.sql("SELECT count(*) FROM core_auditentry WHERE action = 'login.failed'")[0][0]
    assert answers.count("refused") == processed
    assert processed <= login_steps.IP_FAILURES_ALLOWED
    assert answers.count("refused") + answers.count("throttled") == 60
    assert len(stack.upstreams_seen("POST", "/login/")) == 2
    assert_no_trace(clients)
