"""The business API under load: POST /api/v1/applications through nginx and gunicorn, beside its ceilings.

    .venv/bin/python bench/api_applications.py [--clients 1 4 16] [--seconds 30] [--json FILE]

Starts the stack of bench/http_flow.py (loadtests/stack.py: nginx with TLS, two gunicorn instances
of three sync workers, a PostgreSQL cluster of its own, Redis, an SMTP sink, the jobs worker), seeds
one customer per client (limit out of reach) with one API key each (scope numbers:add), then for
each client count, one after the other on the same stack:

1. ``/healthz/``: the same client threads asking for a Django view that does nothing, through the
   same nginx and gunicorn: the ceiling of the HTTP stack;
2. the API: each client POSTs ``/api/v1/applications`` ``{"count": 1}`` with its own key and a fresh
   ``Idempotency-Key`` again and again, no think time; every answer's status is counted (201
   expected, anything else reported);
3. the SQL allocation ceiling: pgbench running bench/allocation.sql (the allocation transaction as
   plain SQL, as bench/allocation.py measures it) with as many clients, on the same PostgreSQL
   cluster, in a copy of the API's database taken after seeding (with 10,000 more customers, so
   pgbench's clients seldom meet on one customer's lock, and its pool refilled ahead of each run).

The rate limit per key (SELFCARE_API_RATE_PER_MINUTE, 120 a minute by default) would stop one client
after two requests a second: the stack runs with it at 1,000,000, so the limit is still counted in
Redis on every request (its cost is in the figures) but never reached. Each client has its own
customer, as separate businesses would: none waits for another's customer lock.

Afterwards: the applications in the database against the 201 answers counted, check_invariants on
the API's database, and where a POST's worker CPU goes (one process, Django's test client, the
parts timed in CPU and wall time).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import psycopg
import requests

from bench import common
from bench.allocation import SQL_SCRIPT
from bench.common import Figures
from bench.http_flow import CpuMeter, stack_processes
from loadtests.seed import customer_id
from loadtests.stack import BIN, ROOT, Stack

CACHE_DB = 11
RATE_PER_MINUTE = 1_000_000
LIMIT = 100_000  # the most customer_create accepts
SQL_DATABASE = "selfcare_bench_api_sql"
SQL_CUSTOMERS = 10_000
WARM_UP = 3.0
MAX_PROCESSES = 4
PROFILE_REQUESTS = 300
SQL_TABLES = [
    "inventory_phonenumber",
    "orders_issuedline",
    "orders_application",
    "letters_letter",
    "accounts_customer",
    "core_auditentry",
]


class ApiStack(Stack):
    """The stack, with a copy of its seeded database for the SQL ceiling (taken while nothing is connected)."""

    def seed(self, **kwargs) -> None:  # type: ignore[override]
        super().seed(**kwargs)
        statement(self, f'CREATE DATABASE "{SQL_DATABASE}" TEMPLATE selfcare')


def statement(stack: Stack, sql: str, database: str = "postgres") -> None:
    """One statement in autocommit on the stack's cluster (CREATE DATABASE, VACUUM, CHECKPOINT)."""
    with psycopg.connect(stack.pg.conninfo(database), autocommit=True) as conn:
        conn.execute(sql)


# The load: client processes of a few threads each ------------------------------------------------


def _thread(url: str, certificate: str, kind: str, key: str, start: float, stop: float) -> dict:
    http = requests.Session()
    http.trust_env = False
    http.verify = certificate
    if kind == "api":
        http.headers["Authorization"] = f"Bearer {key}"
    done: list[tuple[float, float, int]] = []
    time.sleep(max(0.0, start - time.time()))
    while time.time() < stop:
        began = time.perf_counter()
        try:
            if kind == "api":
                response = http.post(
                    url + "/api/v1/applications",
                    json={"count": 1},
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                    timeout=60,
                )
            else:
                response = http.get(url + "/healthz/", timeout=60, allow_redirects=False)
            status = response.status_code
        except requests.RequestException:
            status = 0  # no answer (connection refused or reset, timeout)
        done.append((time.time(), (time.perf_counter() - began) * 1000, status))
    return {"done": done}


def _process(queue, url: str, certificate: str, kind: str, keys: list[str], start: float, stop: float) -> None:
    with ThreadPoolExecutor(len(keys)) as pool:
        futures = [pool.submit(_thread, url, certificate, kind, key, start, stop) for key in keys]
        results = [future.result() for future in futures]
    queue.put({"done": [d for r in results for d in r["done"]]})


def load(stack: Stack, kind: str, keys: list[str], seconds: float) -> dict:
    """``len(keys)`` client threads (in at most MAX_PROCESSES processes) for WARM_UP + ``seconds``."""
    clients = len(keys)
    expected = 201 if kind == "api" else 200
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start = time.time() + 4.0  # the client processes start before
    window = (start + WARM_UP, start + WARM_UP + seconds)
    count = min(clients, MAX_PROCESSES)
    processes = []
    for p in range(count):
        process = context.Process(
            target=_process, args=(queue, stack.url, stack.certificate, kind, keys[p::count], start, window[1])
        )
        process.start()
        processes.append(process)

    def groups() -> dict[str, list[psutil.Process]]:
        generator = []
        for process in processes:
            with contextlib.suppress(psutil.Error):
                generator.append(psutil.Process(process.pid))
        jobs = [psutil.Process(stack.jobs_worker.pid)] if stack.jobs_worker else []
        sink = [psutil.Process(stack.sink.pid)] if stack.sink else []
        return stack_processes(stack) | {"jobs worker": jobs, "SMTP sink": sink, "load generator": generator}

    time.sleep(max(0.0, window[0] - time.time()))
    meter = CpuMeter(groups)
    meter.sample()
    while time.time() < window[1]:
        time.sleep(min(0.5, max(0.0, window[1] - time.time())))
        meter.sample()
    cpu = meter.totals()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    everything = [d for r in results for d in r["done"]]
    measured = [d for d in everything if window[0] <= d[0] <= window[1]]
    latencies = sorted(latency for _, latency, status in measured if status == expected)
    figures = Figures.of(latencies, seconds, sum(1 for *_, status in measured if status != expected))
    outcomes = collections.Counter(str(status) for *_, status in everything)
    per_request = {name: used * 1000 / figures.count if figures.count else 0.0 for name, used in cpu.items()}
    return {
        "kind": kind,
        "clients": clients,
        **figures.as_dict(),
        "outcomes": dict(outcomes),
        "expected": expected,
        "cores_busy": {name: used / seconds for name, used in cpu.items()},
        "cpu_ms": per_request,
    }


# The SQL ceiling on the stack's own cluster ------------------------------------------------------


# As bench/populate.py does for bench/allocation.py's pool: columns the ORM fills from the model (text blank=True
# with no default, booleans default=False) get that default in the copy, so the SQL script need not name them.
MODEL_DEFAULTS = """DO $$ DECLARE c record; BEGIN
    FOR c IN SELECT table_name, column_name, data_type FROM information_schema.columns
              WHERE table_schema = current_schema() AND is_nullable = 'NO' AND column_default IS NULL
                AND data_type IN ('text', 'character varying', 'boolean')
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %L', c.table_name, c.column_name,
                       CASE WHEN c.data_type = 'boolean' THEN 'false' ELSE '' END);
    END LOOP;
END $$"""


def prepare_sql_copy(stack: Stack) -> tuple[int, int]:
    """10,000 customers of the benchmark in the copy (limits out of reach): the customer id range."""
    common.execute(SQL_DATABASE, MODEL_DEFAULTS)
    common.execute(
        SQL_DATABASE,
        "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined, consecutive_failures, password_change_required, pending_password) "
        "SELECT '!', false, 'alloc' || c, '', '', 'alloc' || c || '@example.com', false, true, now(), 0, false, '' "
        "FROM generate_series(1, %s) AS c",
        params=[SQL_CUSTOMERS],
    )
    common.execute(
        SQL_DATABASE,
        "INSERT INTO accounts_customer (user_id, contract_name, postal_code, address, plan_id, addition_limit, "
        "numbers_added, status, created_at) SELECT u.id, 'ベンチマーク株式会社 ' || u.username, '1000001', "
        "'東京都千代田区千代田1-1', (SELECT min(id) FROM accounts_plan), 2000000000, 0, 'active', now() "
        "FROM accounts_user u WHERE u.username LIKE 'alloc%' ORDER BY u.id",
    )
    first, last = common.execute(
        SQL_DATABASE,
        "SELECT min(c.id), max(c.id) FROM accounts_customer c JOIN accounts_user u ON u.id = c.user_id "
        "WHERE u.username LIKE 'alloc%'",
    )[0]
    if last - first + 1 != SQL_CUSTOMERS:
        raise RuntimeError("the SQL ceiling's customers are not contiguous")
    return first, last


def refill(need: int) -> None:
    """At least ``need`` issuable numbers in the copy, then vacuum: each pgbench run starts from the same state."""
    have = int(
        common.scalar(
            SQL_DATABASE,
            "SELECT count(*) FROM inventory_phonenumber WHERE status = 'free' AND available_from <= current_date",
        )
    )
    if have < need:
        common.execute(
            SQL_DATABASE,
            "INSERT INTO inventory_phonenumber (number, status, available_from, imported_at) "
            "SELECT lpad((m + i)::text, 11, '0'), 'free', current_date - 1, now() "
            "FROM (SELECT max(number)::bigint + 1 AS m FROM inventory_phonenumber) s, generate_series(0, %s - 1) AS i",
            params=[2 * need - have],
        )
    common.vacuum(SQL_DATABASE, SQL_TABLES)
    common.execute(SQL_DATABASE, "CHECKPOINT")


def sql_ceiling(clients: int, seconds: float, first: int, last: int, fastest: float) -> dict:
    refill(max(50_000, int(3 * fastest * seconds)))
    figures = common.pgbench(
        SQL_DATABASE,
        clients=clients,
        seconds=seconds,
        script=SQL_SCRIPT,
        defines={"n": 1, "cfirst": first, "clast": last},
    )
    return figures.as_dict()


# Where a POST's worker CPU goes: one process, Django's test client ----------------------------------


def profile_child(requests_count: int) -> None:
    """Run with the stack's settings (BENCH_API_KEY set): time the parts of a POST in CPU and wall time."""
    import django

    django.setup()
    from django.test import Client

    from selfcare.api import auth, views
    from selfcare.integrations import keys
    from selfcare.orders import services, webhook_events

    spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])

    def timed(module, name: str) -> None:
        inner = getattr(module, name)

        def wrapper(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[name][0] += time.process_time() - cpu
                spent[name][1] += time.perf_counter() - wall

        setattr(module, name, wrapper)

    for module, name in (
        (keys, "key_hash"),
        (auth, "api_key_authenticate"),
        (auth, "count_in_window"),
        (views, "request_once"),
        (views, "numbers_add"),
        (views, "application_body"),
        (services, "customer_lock"),
        (services, "issuable_numbers_lock"),
        (services, "_create_application"),
        (services, "_new_line"),
        (services, "enqueue"),
        (services, "audit_record"),
        (webhook_events, "application_completed"),
    ):
        timed(module, name)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {os.environ['BENCH_API_KEY']}")

    def post() -> int:
        return client.post(
            "/api/v1/applications",
            data={"count": 1},
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            secure=True,
        ).status_code

    warm_up = collections.Counter(post() for _ in range(20))  # connection, caches, imports
    spent.clear()
    statuses = collections.Counter()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests_count):
        statuses[post()] += 1
    whole = [(time.process_time() - cpu) * 1000 / requests_count, (time.perf_counter() - wall) * 1000 / requests_count]

    def ms(*names: str, minus: tuple[str, ...] = ()) -> list[float]:
        """Milliseconds a request in these calls (CPU, wall), less the calls nested in them that are shown apart."""
        return [
            (sum(spent[n][i] for n in names) - sum(spent[n][i] for n in minus)) * 1000 / requests_count for i in (0, 1)
        ]

    inside = ("customer_lock", "issuable_numbers_lock", "_create_application", "_new_line", "enqueue", "audit_record")
    inside += ("application_completed",)
    top = {
        "API key: look-up and checks": ms("api_key_authenticate"),
        "rate limit (Redis)": ms("count_in_window"),
        "idempotency: claim, then the answer stored (two transactions, an advisory lock)": ms(
            "request_once", minus=("numbers_add",)
        ),
        "numbers_add (one durable transaction)": ms("numbers_add"),
        "the answer: the application and its lines read again, passwords decrypted": ms("application_body"),
    }
    top["the rest: Django's middleware, django-ninja, JSON in and out"] = [
        whole[i] - sum(part[i] for part in top.values()) for i in (0, 1)
    ]
    parts = {
        "API key: look-up and checks": top["API key: look-up and checks"],
        "· of which the key's HMAC-SHA256": ms("key_hash"),
        "rate limit (Redis)": top["rate limit (Redis)"],
        **{k: v for k, v in top.items() if k.startswith("idempotency")},
        "numbers_add (one durable transaction)": top["numbers_add (one durable transaction)"],
        "· the customer's lock (`SELECT … FOR UPDATE`)": ms("customer_lock"),
        "· the numbers' lock (`FOR UPDATE SKIP LOCKED`)": ms("issuable_numbers_lock"),
        "· the application (savepoint, INSERT)": ms("_create_application"),
        "· the line's two passwords drawn, encrypted, digested": ms("_new_line"),
        "· the notice's job enqueued": ms("enqueue"),
        "· the audit entry": ms("audit_record"),
        "· the webhook event (endpoints looked up)": ms("application_completed"),
        "· the rest: idempotency look-up, claim, pool tally, line INSERT, counter, letter, commit": ms(
            "numbers_add", minus=inside
        ),
        **{k: v for k, v in top.items() if k.startswith(("the answer", "the rest"))},
    }
    print(
        json.dumps(
            {
                "requests": requests_count,
                "statuses": dict(statuses),
                "warm_up_201": warm_up[201],
                "whole": whole,
                "parts": parts,
            }
        )
    )


def profile(stack: Stack, key: str) -> dict:
    env = stack.env() | {"BENCH_API_KEY": key}
    done = subprocess.run(  # noqa: S603 - this script
        [str(BIN / "python"), __file__, "--profile-child", str(PROFILE_REQUESTS)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# The run -------------------------------------------------------------------------------------------


def make_keys(stack: Stack, customers: int) -> list[str]:
    ids = [customer_id(i) for i in range(1, customers + 1)]
    code = (
        "from selfcare.accounts.selectors import customer_get\n"
        "from selfcare.audit.services import Actor\n"
        "from selfcare.integrations.keys import api_key_create\n"
        f"for selfcare_id in {ids!r}:\n"
        "    made = api_key_create(customer_id=customer_get(selfcare_id=selfcare_id).pk, name='benchmark', "
        "scopes=['numbers:add'], actor=Actor.system('bench'))\n"
        "    print(made.key)\n"
    )
    output = stack.manage("shell", "-c", code).stdout  # the app's log lines too: keep the keys
    keys = [line for line in output.splitlines() if re.fullmatch(r"sk_[a-z0-9]{8}_[A-Za-z0-9]{40}", line)]
    if len(keys) != customers:
        raise RuntimeError(f"made {len(keys)} API keys for {customers} customers")
    return keys


def vacuum_api(stack: Stack) -> None:
    statement(stack, "VACUUM ANALYZE", "selfcare")  # a small database: all of it
    statement(stack, "CHECKPOINT")


def measure(clients_list: list[int], seconds: float) -> dict:
    customers = max(clients_list)
    # Numbers for every application the API could place (generously 200 a second), warm-ups included.
    pool = int(200 * (seconds + WARM_UP + 5) * len(clients_list)) + 5_000
    stack = ApiStack(
        instances=2,
        workers=3,
        cache_db=CACHE_DB,
        customers=customers,
        limit=LIMIT,
        pool=pool,
        extra_env={"SELFCARE_API_RATE_PER_MINUTE": str(RATE_PER_MINUTE)},
    )
    print(
        f"starting the stack (nginx, 2 × 3 gunicorn workers, PostgreSQL, {customers} customers, {pool:,} numbers) ..."
    )
    points = []
    try:
        stack.start()
        # Every helper of bench.common reads SERVER when called: point them at the stack's own cluster.
        common.SERVER = stack.pg.url("postgres")
        first, last = prepare_sql_copy(stack)
        keys = make_keys(stack, customers)
        fastest = 0.0
        print(f"{'clients':>7}  {'what':<28} {'per s':>8}  {'p50 / p95 / p99 ms':>22}  not expected", flush=True)
        for clients in clients_list:
            vacuum_api(stack)
            trivial = load(stack, "healthz", keys[:clients], seconds)
            report_line(clients, "/healthz/ (ceiling)", trivial)
            vacuum_api(stack)
            api = load(stack, "api", keys[:clients], seconds)
            report_line(clients, "POST /api/v1/applications", api)
            sql = sql_ceiling(clients, seconds, first, last, max(fastest, api["per_second"]))
            fastest = max(fastest, sql["per_second"])
            report_line(clients, "SQL allocation (ceiling)", sql)
            print(
                f"{'':>7}  ratio to /healthz/ {api['per_second'] / trivial['per_second']:.2f}, to the SQL ceiling "
                f"{api['per_second'] / sql['per_second']:.2f}; per POST: "
                + ", ".join(f"{name} {value:.1f} ms" for name, value in api["cpu_ms"].items())
                + " of CPU",
                flush=True,
            )
            points.append({"clients": clients, "healthz": trivial, "api": api, "sql": sql})
        print("where a POST's worker CPU goes (one process, test client) ...", flush=True)
        where = profile(stack, keys[0])
        answered = (
            sum(p["api"]["outcomes"].get("201", 0) for p in points)
            + where["statuses"].get("201", 0)
            + where["warm_up_201"]
        )
        applications, numbers = stack.sql(
            "SELECT count(*), coalesce(sum(a.count), 0) FROM orders_application a "
            "JOIN accounts_customer c ON c.id = a.customer_id JOIN accounts_user u ON u.id = c.user_id "
            "WHERE u.username LIKE %s",
            ("load%",),
        )[0]
        lines = stack.sql("SELECT count(*) FROM orders_issuedline")[0][0]
        invariants = stack.manage("check_invariants", check=False)
    finally:
        stack.stop()
    result = {
        "seconds": seconds,
        "workers": "2 gunicorn instances × 3 sync workers",
        "rate_per_minute": RATE_PER_MINUTE,
        "points": points,
        "profile": where,
        "answered_201": answered,
        "applications": int(applications),
        "numbers": int(numbers),
        "lines": int(lines),
        "invariants_after": invariants.returncode == 0,
        "invariants_output": (invariants.stdout + invariants.stderr)[-2000:],
    }
    report(result)
    return result


def report_line(clients: int, what: str, figures: dict) -> None:
    others = {k: v for k, v in figures.get("outcomes", {}).items() if k != str(figures.get("expected"))}
    errors = ", ".join(f"{v} × {k}" for k, v in sorted(others.items())) or str(figures.get("errors", 0) or "")
    print(
        f"{clients:>7}  {what:<28} {figures['per_second']:>8.1f}  "
        f"{figures['p50']:>6.1f} / {figures['p95']:>6.1f} / {figures['p99']:>6.1f}  {errors}",
        flush=True,
    )


def report(result: dict) -> None:
    where = result["profile"]
    print(f"\nper POST in one process ({where['requests']} requests, {where['statuses']}):")
    print(f"  {'whole request':<62} {where['whole'][0]:6.2f} ms CPU {where['whole'][1]:6.2f} ms wall")
    for label, (cpu, wall) in where["parts"].items():
        print(f"  {label:<62} {cpu:6.2f} ms CPU {wall:6.2f} ms wall")
    print(
        f"\n201 answers {result['answered_201']:,}; applications of the API's customers in the database "
        f"{result['applications']:,} ({result['numbers']:,} numbers; {result['lines']:,} issued lines in all)"
    )
    print(f"check_invariants afterwards: {'passed' if result['invariants_after'] else 'FAILED'}")
    if not result["invariants_after"]:
        print(result["invariants_output"])


# docs/benchmarks.md (bench/run_all.py --only api --write) ------------------------------------------


def _ms(figures: dict) -> str:
    return f"{figures['p50']:.1f} / {figures['p95']:.1f} / {figures['p99']:.1f}"


def _others(run: dict) -> str:
    others = {k: v for k, v in run["outcomes"].items() if k != str(run["expected"])}
    return ", ".join(f"{v} × {'no answer' if k == '0' else k}" for k, v in sorted(others.items())) or "none"


def doc_section(data: dict) -> list[str]:
    points = data["points"]
    out = [
        "## Business API: `POST /api/v1/applications`",
        "",
        f"`bench/api_applications.py --seconds {data['seconds']:.0f} --clients "
        f"{' '.join(str(p['clients']) for p in points)}`: the stack of the HTTP flow above (nginx with TLS in front "
        f"of {data['workers']}, PostgreSQL, Redis, an SMTP sink, the jobs worker sending each application's notice). "
        'One customer and one API key (scope `numbers:add`) per client; each client thread POSTs `{"count": 1}` '
        "with a fresh `Idempotency-Key` again and again, no think time, over a kept-alive HTTPS connection. The "
        "per-key rate limit is set to "
        f"{data['rate_per_minute']:,} a minute for the run (`SELFCARE_API_RATE_PER_MINUTE`; the default 120 would "
        "stop a client after two requests a second): it is still counted in Redis on every request, never reached. "
        f"For each client count, {data['seconds']:.0f} s each after a warm-up, one after the other: `/healthz/` "
        "through the same nginx and gunicorn with the same threads (the HTTP ceiling), the API, then "
        "`bench/allocation.sql` (the allocation transaction as plain SQL, 1 number) under pgbench with as many "
        "clients on the same PostgreSQL cluster (a copy of the API's database with 10,000 more customers: the SQL "
        "ceiling). Latencies in ms, from the client.",
        "",
        "| clients | `/healthz/` requests/s | p50 / p95 / p99 | **API applications/s** | p50 / p95 / p99 | "
        "**÷ `/healthz/`** | SQL allocation applications/s | p50 / p95 / p99 | **÷ SQL** | answers other than 201 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for p in points:
        trivial, api, sql = p["healthz"], p["api"], p["sql"]
        out.append(
            f"| {p['clients']} | {trivial['per_second']:,.0f} | {_ms(trivial)} | **{api['per_second']:,.1f}** | "
            f"{_ms(api)} | **{api['per_second'] / trivial['per_second']:.2f}** | {sql['per_second']:,.0f} | "
            f"{_ms(sql)} | **{api['per_second'] / sql['per_second']:.2f}** | {_others(api)} |"
        )
    out += [
        "",
        f"Every 201 is one application: {data['answered_201']:,} answered 201 (warm-ups and the profile below "
        f"included), {data['applications']:,} applications of {data['numbers']:,} numbers in the database. "
        f"`check_invariants` afterwards: {'passed' if data['invariants_after'] else '**failed**'}.",
        "",
        "CPU per request (ms), read from /proc for each part of the stack, all on this one machine; for the SQL "
        "ceiling pgbench and its PostgreSQL backends:",
        "",
    ]
    names = list(points[0]["api"]["cpu_ms"])
    out += [
        "| clients | what | " + " | ".join(names) + " |",
        "| ---: | --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for p in points:
        for label, run in (("`/healthz/`", p["healthz"]), ("API", p["api"])):
            out.append(
                f"| {p['clients']} | {label} | " + " | ".join(f"{run['cpu_ms'].get(n, 0.0):.2f}" for n in names) + " |"
            )
        sql = p["sql"]
        if sql.get("client_cpu_ms") is not None and sql.get("server_cpu_ms") is not None:
            cells = {"PostgreSQL": sql["server_cpu_ms"], "load generator": sql["client_cpu_ms"]}
            out.append(
                f"| {p['clients']} | SQL allocation | "
                + " | ".join(f"{cells[n]:.2f}" if n in cells else "" for n in names)
                + " |"
            )
    out += [
        "",
        "Cores kept busy during each API run (CPU seconds ÷ wall seconds):",
        "",
        "| clients | " + " | ".join(names) + " | total |",
        "| ---: | " + " | ".join("---:" for _ in names) + " | ---: |",
    ]
    for p in points:
        busy = p["api"]["cores_busy"]
        out.append(
            f"| {p['clients']} | "
            + " | ".join(f"{busy.get(n, 0.0):.2f}" for n in names)
            + f" | {sum(busy.values()):.2f} |"
        )
    where = data["profile"]
    out += [
        "",
        f"Where a POST's time goes in the app server: {where['requests']} POSTs in one process through Django's test "
        "client (the same settings, database and Redis; no nginx), each part timed around its call:",
        "",
        "| part | CPU ms | wall ms |",
        "| --- | ---: | ---: |",
        f"| the whole request | {where['whole'][0]:.2f} | {where['whole'][1]:.2f} |",
        *(f"| {label} | {cpu:.2f} | {wall:.2f} |" for label, (cpu, wall) in where["parts"].items()),
        "",
    ]
    return out


def headline_line(data: dict) -> str:
    points = data["points"]
    rates = ", ".join(f"{p['api']['per_second']:,.0f}/s at {p['clients']}" for p in points)
    trivial = ", ".join(f"{p['api']['per_second'] / p['healthz']['per_second']:.2f}" for p in points)
    sql = ", ".join(f"{p['api']['per_second'] / p['sql']['per_second']:.2f}" for p in points)
    return (
        f"- Business API `POST /api/v1/applications` over HTTPS: {rates} clients = {trivial} of `/healthz/` and "
        f"{sql} of the SQL allocation on the same server."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--profile-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_child:
        profile_child(args.profile_child)
        return
    result = measure(args.clients, args.seconds)
    common.write_json(args.json, result)


if __name__ == "__main__":
    main()
