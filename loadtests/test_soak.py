"""The soak: 20 virtual customers for 10 minutes (SOAK_SECONDS) against nginx + two gunicorn
instances. No 5xx, the workers' memory flat. Not in CI; run with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/selfcare .venv/bin/pytest -m soak loadtests``."""

from __future__ import annotations

import os
import random
import statistics
import threading
import time

import psutil
import pytest

from loadtests.client import FlowError
from loadtests.conftest import assert_consistent, browser, write_artifact

pytestmark = [pytest.mark.soak, pytest.mark.stack, pytest.mark.postgres]

CUSTOMERS = 20
SAMPLE_EVERY = 10.0
# Flat: a worker's resident memory at the end within this much of what it was after the warm-up.
GROWTH_ALLOWED_MB = 8.0


SESSION_SECONDS = 40.0


def test_soak(make_stack):
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    # A login e-mails a code, and a customer gets at most one a minute and five an hour: each
    # session of a virtual customer is a different customer of its own.
    sessions = int(seconds // SESSION_SECONDS) + 2
    stack = make_stack(customers=CUSTOMERS * sessions, limit=100_000, pool=200_000)
    stop = threading.Event()
    statuses: dict[int, int] = {}
    flows = [0] * CUSTOMERS
    problems: list[str] = []
    lock = threading.Lock()

    def customer_day(position: int) -> None:
        rng = random.Random(position)
        for session in range(sessions):
            if stop.is_set():
                return
            customer = browser(stack)
            ends = time.monotonic() + SESSION_SECONDS
            try:
                customer.login(position + 1 + session * CUSTOMERS, stack.password)
                while time.monotonic() < ends and not stop.is_set():
                    outcome = customer.add_numbers(rng.randint(1, 3))
                    if not outcome.application_number:
                        problems.append(f"{outcome.status} {outcome.url}")
                    customer.get("/numbers/")
                    customer.get("/applications/")
                    flows[position] += 1
                    with lock:
                        for response in customer.history:
                            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    customer.history.clear()
                customer.post("/logout/", {}, customer.csrf(customer.get("/menu/")))
            except (FlowError, OSError) as error:
                problems.append(repr(error)[:300])
                time.sleep(1)

    threads = [threading.Thread(target=customer_day, args=(position,)) for position in range(CUSTOMERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    workers = {worker.pid: worker for worker in stack.all_workers()}
    samples: list[dict] = []
    try:
        while time.monotonic() - started < seconds:
            time.sleep(SAMPLE_EVERY)
            sample = {"t": round(time.monotonic() - started)}
            for pid, worker in workers.items():
                try:
                    sample[str(pid)] = round(worker.memory_info().rss / 2**20, 1)
                except psutil.Error:
                    sample[str(pid)] = None
            samples.append(sample)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

    warm = next(s for s in samples if s["t"] >= min(60, seconds / 4))
    last = samples[-1]
    growth = {pid: round(last[str(pid)] - warm[str(pid)], 1) for pid in workers if last[str(pid)] is not None}
    totals = assert_consistent(stack)
    report = {
        "seconds": seconds,
        "customers": CUSTOMERS,
        "flows": sum(flows),
        "requests_by_status": dict(sorted(statuses.items())),
        "problems": problems[:20],
        "rss_mb_after_warmup": {pid: warm[str(pid)] for pid in workers},
        "rss_mb_at_end": {pid: last[str(pid)] for pid in workers},
        "rss_growth_mb": growth,
        "rss_median_mb": statistics.median(v for v in last.values() if isinstance(v, float)),
        "samples": samples,
        **totals,
    }
    path = write_artifact("soak.json", report)
    print(f"soak report: {path}")
    assert problems == []
    assert not [status for status in statuses if status >= 500]
    assert len(growth) == len(workers), "a worker died during the soak"
    assert {pid for pid in workers} == {worker.pid for worker in stack.all_workers()}
    assert max(growth.values()) <= GROWTH_ALLOWED_MB, growth
