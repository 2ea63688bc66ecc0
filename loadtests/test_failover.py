"""The database survives losing its primary: 20 customers apply under load, the primary goes (SIGKILL
to every PostgreSQL process, or a clean switchover), the synchronous standby is promoted, and the
same app servers, never restarted, carry on against it through their several-host DATABASE_URL.

Afterwards: every application whose completion page (完了) a customer saw is in the new primary with
the numbers shown; no number is issued twice; ``check_invariants`` passes there; whoever saw an error
page can press 実行 again without making a second application; the old primary is rebuilt as the
standby of the new one (pg_rewind) and gets the next application too.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest

from loadtests import pgcluster
from loadtests.client import Browser, FlowError, Outcome, numbers_on
from loadtests.conftest import assert_consistent, assert_no_trace, logged_in, run_threads, write_artifact
from loadtests.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres]

CUSTOMERS = 20


@dataclass
class Press:
    """One press of 実行: when it was sent, when its page came back, the page."""

    position: int
    token: str
    csrf: str
    sent: float
    answered: float
    outcome: Outcome


@dataclass
class Load:
    """Every customer applies for 1-5 numbers again and again, each in its own thread."""

    customers: list[Browser]
    presses: list[Press] = field(default_factory=list)
    crashed: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(len(self.customers))]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in self.threads), "a customer's thread hung"

    def _run(self, position: int) -> None:
        try:
            self._apply_until_stopped(position)
        except BaseException as error:
            self.crashed.append(error)

    def _apply_until_stopped(self, position: int) -> None:
        customer = self.customers[position]
        rng = random.Random(position)
        while not self.stop.is_set():
            try:
                token, csrf = customer.confirm(rng.randint(1, 5))
            except FlowError:  # the input or confirm page was an error page: try again, as a customer would
                time.sleep(0.2)
                continue
            sent = time.monotonic()
            outcome = customer.execute(token, csrf)
            with self.lock:
                self.presses.append(Press(position, token, csrf, sent, time.monotonic(), outcome))

    def acknowledged(self, after: float = 0.0) -> list[Press]:
        """Presses that ended on the completion page, sent after ``after``."""
        with self.lock:
            return [p for p in self.presses if p.outcome.application_number and p.sent > after]

    def errors(self, after: float = 0.0) -> list[Press]:
        with self.lock:
            return [p for p in self.presses if not p.outcome.application_number and p.answered > after]


def wait_until(check, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.05)


APPLICATION_NUMBER = re.compile(r"\b[0-9]{6}-[2-9A-HJ-NP-Z]{8}\b")


def notices(stack: Stack) -> dict[str, list[str]]:
    """The Message-IDs of the notice e-mails naming each application number, over every mailbox of the sink."""
    found: dict[str, list[str]] = {}
    for path in stack.mail_dir.rglob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        for number in set(APPLICATION_NUMBER.findall(body.get_content() if body is not None else "")):
            found.setdefault(number, []).append(str(message["Message-ID"]))
    return found


def held_by(node: pgcluster.PostgresNode, application_number: str) -> list[str]:
    rows = node.query(
        "SELECT l.number FROM orders_issuedline l JOIN orders_application a ON a.id = l.application_id "
        "WHERE a.application_number = %s ORDER BY 1",
        (application_number,),
        dbname="selfcare",
    )
    return [row[0] for row in rows]


@pytest.mark.parametrize("fault", ["primary killed", "switchover"])
def test_applications_resume_on_the_promoted_standby_and_none_acknowledged_is_lost(make_stack, fault):
    stack: Stack = make_stack(customers=CUSTOMERS, limit=5000, pool=20000, standby=True)
    old, new = stack.pg, stack.pg_standby
    assert new is not None
    customers = [logged_in(stack, index) for index in range(1, CUSTOMERS + 1)]
    app_servers = [process.pid for process in stack.gunicorns]
    workers = {worker.pid for worker in stack.all_workers()}
    pgcluster.commands.clear()
    load = Load(customers)
    load.start()
    try:
        wait_until(lambda: len(load.acknowledged()) >= 40, "40 applications before the fault", 60)
        fault_at = time.monotonic()
        if fault == "primary killed":
            # With an application between taking its numbers and committing: its worker is
            # stopped there, the primary dies, the worker carries on against the dead server.
            caught = stack.freeze_worker_inside_transaction("INSERT INTO %orders_issuedline%")
            assert caught is not None, "no worker was seen inside an application's transaction"
            fault_at = time.monotonic()
            old.kill()
            os.kill(caught[0].pid, signal.SIGCONT)
            # The outage is felt before the standby takes over: pages of ours, no hang.
            wait_until(lambda: load.errors(after=fault_at), "an error page after the primary died", 15)
        else:
            old.stop("fast")
            # A clean stop sends the standby everything, its shutdown checkpoint included.
            last = old.shutdown_checkpoint()
            wait_until(lambda: new.received_past(last), "the standby with the old primary's last WAL", 15)
        new.promote()
        promoted_at = time.monotonic()
        # Every customer gets an application through, with the same app servers as before.
        wait_until(
            lambda: {p.position for p in load.acknowledged(after=promoted_at)} == set(range(CUSTOMERS)),
            "every customer applying again after the promotion",
            60,
        )
    finally:
        load.finish()

    assert load.crashed == []
    assert [process.pid for process in stack.gunicorns] == app_servers
    assert all(process.poll() is None for process in stack.gunicorns)
    assert {worker.pid for worker in stack.all_workers()} == workers, "an app server's worker was replaced"
    assert not new.in_recovery()
    assert stack.sql("SELECT inet_server_port()") == [(new.port,)], "DATABASE_URL reaches the new primary"
    assert_no_trace(customers)
    # A database out of reach is a 503 "try again" page (with Retry-After), never a 500.
    statuses = {response.status_code for customer in customers for response in customer.history}
    assert statuses <= {200, 400, 503}, statuses
    if fault == "primary killed":
        assert load.errors(after=fault_at), "no press of 実行 felt the primary's loss"

    # Every application a customer saw completed is in the new primary with the numbers shown.
    acknowledged = load.acknowledged()
    for press in acknowledged:
        number = press.outcome.application_number
        assert number is not None
        assert held_by(new, number) == numbers_on(press.outcome), f"{number} lost or changed on the new primary"
    # Whoever saw an error page presses 実行 again (all at once: a press whose first request died with
    # the primary waits for it a while): the first application at most, never a second.
    keyed = "SELECT count(*) FROM orders_application WHERE idempotency_key = %s"
    errors = load.errors()
    before = [stack.sql(keyed, (press.token,))[0][0] for press in errors]
    tabs = [customers[press.position].clone() for press in errors]
    pairs = zip(tabs, errors, strict=True)
    agains = run_threads([lambda tab=tab, press=press: tab.execute(press.token, press.csrf) for tab, press in pairs])
    for press, earlier, again in zip(errors, before, agains, strict=True):
        assert isinstance(again, Outcome), again
        after = stack.sql(keyed, (press.token,))[0][0]
        assert earlier <= after <= 1
        if again.application_number:
            assert after == 1
        elif again.status == 409:  # its first request's claim has not run out yet (its lease): "still in progress"
            assert again.is_our_error_page
        else:  # nothing was placed: back to the input page
            assert after == 0 and again.status == 200 and again.url.endswith("/numbers/add/"), again.url
    assert_no_trace(tabs)
    check = stack.manage("check_invariants", database_url=new.url("selfcare"), check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    totals = assert_consistent(stack)
    # The notices are jobs committed with the applications: the same jobs worker, carried over the
    # failover, sends each acknowledged application's notice. A send the mail server accepted just as the
    # primary died is sent again (its record went with the primary's last transaction): the copy has the
    # same Message-ID, which mail systems fold, and only a send in flight at the fault may have one.
    assert stack.jobs_worker is not None and stack.jobs_worker.poll() is None, "the jobs worker stopped"
    wanted = {press.outcome.application_number for press in acknowledged}
    wait_until(lambda: wanted <= set(notices(stack)), "every acknowledged application's notice", 90)
    sent = notices(stack)
    repeated = {number: ids for number, ids in sent.items() if len(ids) > 1}
    assert all(len(set(ids)) == 1 for ids in repeated.values()), repeated  # the same message each time
    assert len(repeated) <= 1, repeated  # one worker: at most the one send in flight at the fault

    # The old primary becomes the standby of the new one, synchronous again, and has the next application.
    rewind = pgcluster.rewind_as_standby(old, new)
    assert old.in_recovery()
    following = customers[0].add_numbers(1)
    assert following.application_number, (following.status, following.url)
    wait_until(lambda: held_by(old, following.application_number) == numbers_on(following), "replayed", 30)

    after_promotion = load.acknowledged(after=promoted_at)
    first_after = min(p.answered for p in after_promotion)
    every_customer = max(min(p.answered for p in after_promotion if p.position == n) for n in range(CUSTOMERS))
    during = [p for p in load.presses if fault_at - 1 < p.sent < first_after]
    write_artifact(
        f"failover-{fault.replace(' ', '-')}.json",
        {
            "fault": fault,
            "presses": len(load.presses),
            "acknowledged": len(acknowledged),
            "acknowledged_after_promotion": len(after_promotion),
            "error_pages": len(load.errors()),
            "notices_sent_twice": len(repeated),
            "error_statuses": sorted({p.outcome.status for p in load.errors()}),
            "presses_around_the_fault": len(during),
            "seconds_fault_to_promoted": round(promoted_at - fault_at, 2),
            "seconds_fault_to_first_application": round(first_after - fault_at, 2),
            "seconds_promoted_to_every_customer": round(every_customer - promoted_at, 2),
            "rewind": [line for line in rewind.splitlines() if line.startswith("pg_rewind: ")],
            "commands": list(pgcluster.commands),
            **totals,
        },
    )
