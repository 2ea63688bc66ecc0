"""Login storm: the customer's password step through the whole stack, per core, beside the hash alone.

    .venv/bin/python bench/login_storm.py [--seconds 30] [--clients 12] [--compare] [--json FILE]

Starts the stack of bench/http_flow.py (loadtests/stack.py: nginx with TLS, two gunicorn instances
of three sync workers, a PostgreSQL cluster of its own, Redis, an SMTP sink), then measures, one
after the other in the same run:

1. the hash alone: the password hasher of the stack's settings verifying a right password in this
   process, timed in CPU: the ceiling of the password step on one core;
2. the login page (GET /login/): the same view and middleware without hashing;
3. the password step: POST /login/ with a self-care ID and its right password, answered by the
   redirect to the code page. It is the whole step: the hash check, the audit entry, the
   pre-login session, and the login code written and sent to the SMTP sink.

Every password step is a different customer (a code is e-mailed at most once a minute per
customer) and every client thread sends its own X-Forwarded-For address (nginx is the trusted
proxy), so neither the account lock nor the per-IP throttle is in the way; right passwords count
no failure anyway. Per core = requests ÷ CPU seconds of the gunicorn workers: what one core of an
app server serves, whatever else shares this machine's cores. Peak worker memory is the largest
VmHWM of a worker over the measured seconds (reset when they start), cross-checked by sampling
the RSS every 20 ms.

``--compare`` runs all of it a second time on a fresh stack hashing with Django's own Argon2
parameters (100 MiB, 2 passes, 8 lanes): before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import requests

from bench.common import percentile
from bench.http_flow import stack_processes
from loadtests.client import CSRF_RE
from loadtests.seed import customer_id
from loadtests.stack import Stack

PROJECT_HASHER = "selfcare.accounts.hashers.Argon2idHasher"
DJANGO_HASHER = "django.contrib.auth.hashers.Argon2PasswordHasher"
HASHERS = {"project": PROJECT_HASHER, "django_default": DJANGO_HASHER}
TARGET_PER_CORE = 25.0
WARM_UP = 3.0
PROCESSES = 2
CACHE_DB = 14
# The stack's settings with Django's Argon2 parameters first (for --compare), made in the stack's directory.
DJANGO_DEFAULT_SETTINGS = f"""from config.settings.production import *  # noqa: F403

PASSWORD_HASHERS = ["{DJANGO_HASHER}", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
"""


# The hash alone ----------------------------------------------------------------------------------


def hash_alone(hasher_path: str, seconds: float = 3.0) -> dict:
    """Verify a right password again and again in this process: CPU and wall time per check."""
    from django.utils.module_loading import import_string

    hasher = import_string(hasher_path)()
    password = "a password of the customer, long enough"  # noqa: S105 - a benchmark's own
    encoded = hasher.encode(password, hasher.salt())
    assert hasher.verify(password, encoded)
    count = 0
    cpu, wall = time.process_time(), time.perf_counter()
    while count < 10 or time.perf_counter() - wall < seconds:
        hasher.verify(password, encoded)
        count += 1
    cpu_ms = (time.process_time() - cpu) * 1000 / count
    wall_ms = (time.perf_counter() - wall) * 1000 / count
    return {
        "hasher": hasher_path,
        "prefix": encoded.rsplit("$", 2)[0],
        "memory_kib": hasher.memory_cost,
        "time_cost": hasher.time_cost,
        "parallelism": hasher.parallelism,
        "count": count,
        "cpu_ms": cpu_ms,
        "wall_ms": wall_ms,
        "per_core": 1000 / cpu_ms,
    }


# The load: client processes of a few threads each ------------------------------------------------


def _thread(
    url: str, certificate: str, kind: str, forwarded_for: str, logins: list[tuple[str, str]], start: float, stop: float
) -> dict:
    http = requests.Session()
    http.trust_env = False
    http.verify = certificate
    http.headers.update({"Origin": url, "X-Forwarded-For": forwarded_for})
    page = http.get(url + "/login/", timeout=30)
    found = CSRF_RE.search(page.text)
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"no login form ({page.status_code})")
    csrf = found.group(1)
    done: list[tuple[float, float, bool]] = []
    sent = 0
    time.sleep(max(0.0, start - time.time()))
    while time.time() < stop:
        began = time.perf_counter()
        try:
            if kind == "page":
                response = http.get(url + "/login/", timeout=60, allow_redirects=False)
                ok = response.status_code == 200 and "csrfmiddlewaretoken" in response.text
            else:
                selfcare_id, password = logins[sent % len(logins)]
                sent += 1
                response = http.post(
                    url + "/login/",
                    data={"selfcare_id": selfcare_id, "password": password, "csrfmiddlewaretoken": csrf},
                    headers={"Referer": url + "/login/"},
                    timeout=60,
                    allow_redirects=False,
                )
                ok = response.status_code == 302 and "/login/verify/" in response.headers.get("Location", "")
                # The next step is a new visitor: only the CSRF cookie is kept, not the pre-login session.
                for cookie in [c for c in http.cookies if c.name != "csrftoken"]:
                    http.cookies.clear(cookie.domain, cookie.path, cookie.name)
        except requests.RequestException:
            ok = False
        done.append((time.time(), (time.perf_counter() - began) * 1000, ok))
    return {"done": done, "reused": max(0, sent - len(logins))}


def _process(
    queue,
    url: str,
    certificate: str,
    kind: str,
    jobs: list[tuple[str, list[tuple[str, str]]]],
    start: float,
    stop: float,
) -> None:
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(_thread, url, certificate, kind, xff, logins, start, stop) for xff, logins in jobs]
        results = [future.result() for future in futures]
    queue.put({"done": [d for r in results for d in r["done"]], "reused": sum(r["reused"] for r in results)})


# Measuring the stack while it serves -------------------------------------------------------------


class WorkerMemory:
    """Peak RSS of the gunicorn workers: the kernel's high-water mark (reset at the start) and 20 ms samples."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sampled: dict[int, int] = {}
        self.at_start: dict[int, int] = {}
        self.reset_done = False
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        workers = self.stack.all_workers()
        for worker in workers:
            with contextlib.suppress(psutil.Error):
                self.at_start[worker.pid] = worker.memory_info().rss
        try:
            for worker in workers:
                Path(f"/proc/{worker.pid}/clear_refs").write_text("5")  # VmHWM := the current RSS
            self.reset_done = True
        except OSError:
            self.reset_done = False
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            for worker in self.stack.all_workers():
                with contextlib.suppress(psutil.Error):
                    rss = worker.memory_info().rss
                    self.sampled[worker.pid] = max(self.sampled.get(worker.pid, 0), rss)
            time.sleep(0.02)

    def stop(self) -> dict:
        self._stop.set()
        self._sampler.join()
        high: dict[int, int] = {}
        if self.reset_done:
            for worker in self.stack.all_workers():
                with contextlib.suppress(OSError):
                    for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            high[worker.pid] = int(line.split()[1]) * 1024
        mb = 1024 * 1024
        return {
            "at_start_mb": max(self.at_start.values(), default=0) / mb,
            "peak_mb": max(high.values(), default=0) / mb if high else None,
            "sampled_peak_mb": max(self.sampled.values(), default=0) / mb,
        }


def cpu_by_group(groups: dict[str, list[psutil.Process]]) -> dict[int, tuple[str, float]]:
    readings: dict[int, tuple[str, float]] = {}
    for name, processes in groups.items():
        for process in processes:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                readings[process.pid] = (name, times.user + times.system)
    return readings


def storm(stack: Stack, kind: str, clients: int, seconds: float, customers: int) -> dict:
    """``clients`` threads (in PROCESSES processes) sending one kind of request for WARM_UP + ``seconds``."""
    threads = list(range(clients))
    logins = {t: [(customer_id(i), stack.password) for i in range(1 + t, customers + 1, clients)] for t in threads}
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start = time.time() + 5.0  # the client processes start, and each reads the login form once, before
    window = (start + WARM_UP, start + WARM_UP + seconds)
    processes = []
    for p in range(PROCESSES):
        jobs = [(f"198.18.{t // 250}.{t % 250 + 1}", logins[t]) for t in threads[p::PROCESSES]]
        if jobs:
            process = context.Process(
                target=_process, args=(queue, stack.url, stack.certificate, kind, jobs, start, window[1])
            )
            process.start()
            processes.append(process)

    def groups() -> dict[str, list[psutil.Process]]:
        clients_group = []
        for process in processes:
            with contextlib.suppress(psutil.Error):
                clients_group.append(psutil.Process(process.pid))
        sink = [psutil.Process(stack.sink.pid)] if stack.sink else []
        return stack_processes(stack) | {"SMTP sink": sink, "load generator": clients_group}

    time.sleep(max(0.0, window[0] - time.time()))
    memory = WorkerMemory(stack)
    before = cpu_by_group(groups())
    memory.start()
    time.sleep(max(0.0, window[1] - time.time()))
    after = cpu_by_group(groups())
    rss = memory.stop()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    cpu: dict[str, float] = {}
    for pid, (name, used) in after.items():
        if pid in before:
            cpu[name] = cpu.get(name, 0.0) + used - before[pid][1]
    measured = [d for r in results for d in r["done"] if window[0] <= d[0] <= window[1]]
    latencies = sorted(latency for _, latency, ok in measured if ok)
    count, errors = len(latencies), sum(1 for *_, ok in measured if not ok)
    workers_cpu = cpu.get("gunicorn workers", 0.0)
    stack_cpu = sum(cpu.get(name, 0.0) for name in ("gunicorn workers", "nginx", "PostgreSQL"))
    return {
        "kind": kind,
        "clients": clients,
        "seconds": seconds,
        "count": count,
        "errors": errors,
        "per_second": count / seconds,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "worker_cpu_ms": workers_cpu * 1000 / count if count else 0.0,
        "per_core": count / workers_cpu if workers_cpu else 0.0,
        "per_stack_core": count / stack_cpu if stack_cpu else 0.0,
        "cores_busy": {name: used / seconds for name, used in cpu.items()},
        "memory": rss,
        "customers_reused": sum(r["reused"] for r in results),
    }


def measure(which: str, seconds: float, clients: int) -> dict:
    # Enough customers that none logs in twice: a generous rate of 70 password steps a second.
    customers = max(300, int(70 * (seconds + WARM_UP + 6)))
    stack = Stack(instances=2, workers=3, cache_db=CACHE_DB, customers=customers, limit=50, pool=0)
    if which == "django_default":
        folder = stack.base / "settings"
        folder.mkdir()
        (folder / "login_storm_settings.py").write_text(DJANGO_DEFAULT_SETTINGS)
        stack.extra_env = {
            "DJANGO_SETTINGS_MODULE": "login_storm_settings",
            "PYTHONPATH": f"{stack.env()['PYTHONPATH']}{os.pathsep}{folder}",
        }
    print(f"[{which}] starting the stack (nginx, 2 × 3 gunicorn workers, PostgreSQL, {customers} customers) ...")
    try:
        stack.start()
        stored = stack.sql("SELECT password FROM accounts_user WHERE username = %s", (customer_id(1),))[0][0]
        print(f"[{which}] hash alone ({HASHERS[which]}) in this process ...", flush=True)
        alone = hash_alone(HASHERS[which])
        if not stored.startswith(alone["prefix"] + "$"):
            raise RuntimeError(f"the stack's hashes are not {alone['prefix']}: {stored.rsplit('$', 2)[0]}")
        print(f"[{which}] login page: {clients} clients for {seconds:.0f} s ...", flush=True)
        page = storm(stack, "page", clients, seconds, customers)
        print(f"[{which}] password step: {clients} clients for {seconds:.0f} s ...", flush=True)
        password = storm(stack, "password", clients, seconds, customers)
    finally:
        stack.stop()
    result = {"hasher": HASHERS[which], "customers": customers, "alone": alone, "page": page, "password": password}
    report(which, result)
    return result


def _peak_mb(run: dict) -> float:
    memory = run["memory"]
    return memory["peak_mb"] if memory["peak_mb"] is not None else memory["sampled_peak_mb"]


def report(which: str, result: dict) -> None:
    alone, page, password = result["alone"], result["page"], result["password"]
    peak = _peak_mb(password)
    met = "met" if password["per_core"] >= TARGET_PER_CORE else "NOT met"
    print(f"\n[{which}] {alone['prefix']}")
    print(
        f"  hash alone:      {alone['cpu_ms']:6.1f} ms CPU ({alone['wall_ms']:.1f} ms wall) a check: "
        f"{alone['per_core']:6.1f} checks/s per core (ceiling)"
    )
    for label, run in (("login page", page), ("password step", password)):
        print(
            f"  {label + ':':16} {run['per_second']:6.1f} requests/s on this machine, p50 {run['p50']:.0f} ms "
            f"p95 {run['p95']:.0f} ms, {run['errors']} errors; workers {run['worker_cpu_ms']:.1f} ms CPU a request: "
            f"{run['per_core']:6.1f}/s per app-server core ({run['per_stack_core']:.1f} per core of workers, nginx "
            f"and PostgreSQL)"
        )
    print(
        f"  password step per core = {password['per_core'] / alone['per_core']:.2f} of the hash alone, "
        f"{password['per_core'] / page['per_core']:.2f} of the login page; target ≥ {TARGET_PER_CORE:.0f}/s: {met}"
    )
    print(
        f"  worker memory: peak {peak:.0f} MB during the password steps (sampled every 20 ms: "
        f"{password['memory']['sampled_peak_mb']:.0f} MB), {_peak_mb(page):.0f} MB during the login page run"
    )
    for label, run in (("login page", page), ("password step", password)):
        busy = ", ".join(f"{name} {cores:.2f}" for name, cores in run["cores_busy"].items())
        print(f"  cores busy, {label}: {busy}")
    if password["customers_reused"]:
        print(f"  note: {password['customers_reused']} password steps reused a customer (no e-mail sent for those)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--compare", action="store_true", help="also with Django's default Argon2 parameters")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = {"project": measure("project", args.seconds, args.clients)}
    if args.compare:
        runs["django_default"] = measure("django_default", args.seconds, args.clients)
    result = {
        "seconds": args.seconds,
        "clients": args.clients,
        "workers": "2 gunicorn instances × 3 sync workers",
        "target_per_core": TARGET_PER_CORE,
        "runs": runs,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
