"""The whole customer flow over HTTPS through nginx and gunicorn, driven by locust (headless).

    .venv/bin/python bench/http_flow.py [--seconds 60] [--users 20] [--json FILE]

Starts the production-shaped stack of the fault tests (loadtests/stack.py: nginx with TLS, two
gunicorn instances of three workers, a PostgreSQL cluster of its own, Redis, an SMTP sink), then
runs locust three times at the same user count, one after the other on the same stack:

1. the ceiling: every user asks for /healthz/, a Django view that does nothing;
2. the flow: ログイン, password (argon2, slow on purpose), 認証コード from the e-mail, メニュー,
   入力画面, 確認画面, 実行, 完了, ログアウト; each page its own request;
3. applying: each user logs in once, then goes メニュー, 入力画面, 確認画面, 実行, 完了 again and
   again: the pages without the password hashing.

Prints flows/s, p50/p95 per page, requests/s of both runs and their ratio, and the CPU each part
of the stack used, since locust, nginx, gunicorn and PostgreSQL share this machine's cores.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from loadtests.stack import BIN, ROOT, Stack


def stack_processes(stack: Stack) -> dict[str, list[psutil.Process]]:
    nginx = psutil.Process(stack.nginx.pid) if stack.nginx else None
    postmaster = int((stack.pg.data / "postmaster.pid").read_text().split()[0])
    return {
        "gunicorn workers": stack.all_workers(),
        "nginx": [nginx, *nginx.children()] if nginx else [],
        "PostgreSQL": [psutil.Process(postmaster), *psutil.Process(postmaster).children()],
    }


class CpuMeter:
    """CPU seconds used by groups of processes between start and stop, sampled twice a second so
    that processes which come and go (PostgreSQL backends, a restarted worker) are counted too."""

    def __init__(self, groups) -> None:
        self.groups = groups
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    def sample(self) -> None:
        for name, processes in self.groups().items():
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    used = times.user + times.system
                    self.first.setdefault(process.pid, used)
                    self.last[process.pid] = (name, used)

    def totals(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, (name, used) in self.last.items():
            totals[name] = totals.get(name, 0.0) + used - self.first[pid]
        return totals


def run_locust(stack: Stack, user_class: str, users: int, seconds: int, customers: int, out: Path) -> dict:
    prefix = out / user_class
    env = stack.env() | {
        "LOADTEST_USER_CLASS": user_class,
        "LOADTEST_CERTIFICATE": stack.certificate,
        "LOADTEST_MAIL_DIR": str(stack.mail_dir),
        "LOADTEST_PASSWORD": stack.password,
        "LOADTEST_CUSTOMERS": str(customers),
    }
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary"]
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "15"]
    cmd += ["--host", stack.url, "--csv", str(prefix), "--loglevel", "WARNING"]
    started = time.monotonic()
    locust = subprocess.Popen(cmd, env=env, cwd=ROOT)  # noqa: S603
    locust_process = psutil.Process(locust.pid)
    meter = CpuMeter(lambda: stack_processes(stack) | {"locust": [locust_process]})
    while locust.poll() is None:
        meter.sample()
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115
    pages = {
        row["Name"]: {
            "count": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50": float(row["50%"]),
            "p95": float(row["95%"]),
            "p99": float(row["99%"]),
            "per_second": float(row["Requests/s"]),
        }
        for row in rows
    }
    return {"seconds": seconds, "elapsed": elapsed, "pages": pages, "cpu_seconds": meter.totals()}


def print_pages(run: dict) -> None:
    for name, page in run["pages"].items():
        if name != "Aggregated":
            print(
                f"  {name:28} {page['count']:6} requests {page['failures']:4} failed   "
                f"p50 {page['p50']:6.0f} ms  p95 {page['p95']:6.0f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    # A customer gets one login code a minute and five an hour: enough customers that none is
    # reused within the run (a flow takes well over 0.05 s of server time).
    customers = max(200, args.seconds * 20)
    stack = Stack(instances=2, workers=3, cache_db=13, customers=customers, limit=100_000, pool=100_000)
    print(f"starting the stack (nginx, 2 × 3 gunicorn workers, PostgreSQL, {customers} customers) ...", flush=True)
    try:
        stack.start()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            print(f"ceiling: {args.users} users on /healthz/ for {args.seconds} s ...", flush=True)
            trivial = run_locust(stack, "TrivialVisitor", args.users, args.seconds, customers, out)
            print(f"flow: {args.users} users through the customer flow for {args.seconds} s ...", flush=True)
            flow = run_locust(stack, "FlowCustomer", args.users, args.seconds, customers, out)
            print(f"applying: {args.users} logged-in users adding numbers for {args.seconds} s ...", flush=True)
            applying = run_locust(stack, "ApplyingCustomer", args.users, args.seconds, customers, out)
        consistent = stack.manage("check_invariants", check=False).returncode == 0
    finally:
        stack.stop()

    completed = flow["pages"].get("10 complete", {}).get("count", 0)
    flow_rps = flow["pages"]["Aggregated"]["per_second"] - flow["pages"].get("code e-mail arrives", {}).get(
        "per_second", 0
    )
    trivial_rps = trivial["pages"]["Aggregated"]["per_second"]
    result = {
        "users": args.users,
        "seconds": args.seconds,
        "workers": "2 gunicorn instances × 3 sync workers",
        "trivial": trivial,
        "flow": flow,
        "applying": applying,
        "applications_per_second": applying["pages"].get("10 complete", {}).get("count", 0) / args.seconds,
        "applying_requests_per_second": applying["pages"]["Aggregated"]["per_second"],
        "applying_ratio": applying["pages"]["Aggregated"]["per_second"] / trivial_rps if trivial_rps else 0.0,
        "flows_per_second": completed / args.seconds,
        "flow_requests_per_second": flow_rps,
        "trivial_requests_per_second": trivial_rps,
        "ratio": flow_rps / trivial_rps if trivial_rps else 0.0,
        "invariants_after": consistent,
    }
    print(
        f"\nceiling: {trivial_rps:,.0f} requests/s of a view that does nothing (p95 "
        f"{trivial['pages']['trivial view']['p95']:.0f} ms)"
    )
    print(
        f"flow: {result['flows_per_second']:.2f} flows/s, {flow_rps:,.0f} requests/s: {result['ratio']:.2f} of the ceiling"
    )
    print_pages(flow)
    print(
        f"applying (logged in, no hashing): {result['applications_per_second']:.2f} applications/s, "
        f"{result['applying_requests_per_second']:,.0f} requests/s: {result['applying_ratio']:.2f} of the ceiling"
    )
    print_pages(applying)
    for label, run in (("ceiling", trivial), ("flow", flow), ("applying", applying)):
        shares = ", ".join(f"{name} {seconds / run['elapsed']:.2f}" for name, seconds in run["cpu_seconds"].items())
        print(f"  cores busy during the {label} run: {shares}")
    print(f"check_invariants afterwards: {'passed' if consistent else 'FAILED'}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    main()
