"""The allocation engine under load, beside its ceilings on the same server in the same run.

For each number of concurrent clients and each application size: worker processes (each its
own Django connection and its own customers) call ``numbers_add`` in a loop for a fixed time;
then pgbench runs bench/allocation.sql, the same transaction as plain SQL (the ceiling our code
is held to), with as many clients; and once per client count pgbench runs its built-in
tpcb-like script in its own database (what this server does with a textbook transaction).

    .venv/bin/python bench/allocation.py --clients 1 4 16 32 --sizes 1 10 --seconds 10

With ``--before``, each row also runs bench/allocation_before.py, the placement path as it was before the lean
path, with as many workers on the same pool, in the same run: before and after take turns in going first
(one row or round before-then-after, the next after-then-before), so neither always meets a warmer or a busier
machine. ``--rounds N`` measures each row N times (``--seconds`` each) and reports the rounds together.

Uses the databases selfcare_bench_alloc (populated afresh each run) and selfcare_bench_pgbench.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH,
    MAX_CONNECTIONS,
    Figures,
    create_database,
    django_env,
    execute,
    pgbench,
    pgbench_init,
    process_cpu,
    run_script,
    scalar,
    vacuum,
    write_json,
)

DATABASE = "selfcare_bench_alloc"
PGBENCH_DATABASE = "selfcare_bench_pgbench"
BASE_POOL = 200_000  # populate.py's realistic pool: 70 % held, 20 % in quarantine, 10 % fresh
CUSTOMERS = 10_000  # with limits raised out of reach; each worker draws from its own slice
TABLES = [
    "inventory_phonenumber",
    "orders_issuedline",
    "orders_application",
    "letters_letter",
    "accounts_customer",
    "core_auditentry",
    "inventory_poolchange",
    "django_tasks_database_dbtaskresult",
]
SQL_SCRIPT = BENCH / "allocation.sql"


def prepare(tpcb_scale: int) -> tuple[int, int]:
    """A freshly populated pool with bench customers, and pgbench's own database. The customer id range."""
    create_database(DATABASE)
    run_script("bench/populate.py", "--numbers", str(BASE_POOL), database=DATABASE)
    execute(
        DATABASE,
        "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined, consecutive_failures) SELECT '!', false, 'alloc' || c, '', '', "
        "'alloc' || c || '@example.com', false, true, now(), 0 FROM generate_series(1, %s) AS c",
        params=[CUSTOMERS],
    )
    execute(
        DATABASE,
        "INSERT INTO accounts_customer (user_id, contract_name, postal_code, address, plan_id, addition_limit, "
        "numbers_added, status, created_at) SELECT u.id, 'ベンチマーク株式会社 ' || u.username, '1000001', "
        "'東京都千代田区千代田1-1', (SELECT min(id) FROM accounts_plan), 2000000000, 0, 'active', now() "
        "FROM accounts_user u WHERE u.username LIKE 'alloc%' ORDER BY u.id",
    )
    first, last = execute(
        DATABASE,
        "SELECT min(c.id), max(c.id) FROM accounts_customer c JOIN accounts_user u ON u.id = c.user_id "
        "WHERE u.username LIKE 'alloc%'",
    )[0]
    assert last - first + 1 == CUSTOMERS, "bench customers are not contiguous"

    pgbench_init(PGBENCH_DATABASE, tpcb_scale)
    execute(DATABASE, "CHECKPOINT")  # write the new pool out now, not while something is being timed
    return first, last


def issuable() -> int:
    return int(
        scalar(
            DATABASE,
            "SELECT count(*) FROM inventory_phonenumber WHERE status = 'free' AND available_from <= current_date",
        )
    )


def refill(need: int) -> None:
    """Keep at least ``need`` issuable numbers, so no run sees the pool short; then vacuum for a clean start."""
    have = issuable()
    if have < need:
        add = 2 * need - have
        execute(
            DATABASE,
            "INSERT INTO inventory_phonenumber (number, status, available_from, imported_at) "
            "SELECT lpad((m + i)::text, 11, '0'), 'free', current_date - 1, now() "
            "FROM (SELECT max(number)::bigint + 1 AS m FROM inventory_phonenumber) s, generate_series(0, %s - 1) AS i",
            params=[add],
        )
        print(f"  pool: {have:,} issuable, added {add:,}", flush=True)
    vacuum(DATABASE, TABLES)
    execute(DATABASE, "CHECKPOINT")


# --- our code: one process per client ---------------------------------------------------------


def _worker(customers: list[int], size: int, seconds: float, ready, go, start_at, results, before: bool) -> None:
    from selfcare.audit.services import Actor

    if before:
        from bench.allocation_before import numbers_add
    else:
        from selfcare.orders.services import numbers_add

    actors = {cid: Actor(kind="customer", label=f"alloc-{cid}") for cid in customers}
    _connect()
    latencies: list[float] = []
    errors = 0
    # Warm up (connect, fill Django's caches, touch the customer rows), then start with the others.
    for cid in customers[:2]:
        numbers_add(customer_id=cid, count=size, idempotency_key=uuid.uuid4().hex, actor=actors[cid])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    ready.put(True)
    go.wait()
    time.sleep(max(0.0, start_at.value - time.time()))
    stop_at = start_at.value + seconds
    client_cpu, server_cpu = time.process_time(), process_cpu(backend)
    i = 0
    while time.time() < stop_at:
        cid = customers[i % len(customers)]
        i += 1
        started = time.perf_counter()
        try:
            numbers_add(customer_id=cid, count=size, idempotency_key=uuid.uuid4().hex, actor=actors[cid])
        except Exception as error:
            errors += 1
            if errors == 1:
                print(f"  worker error: {error!r}", file=sys.stderr, flush=True)
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    client_cpu = time.process_time() - client_cpu
    server_end = process_cpu(backend)
    server = server_end - server_cpu if server_end is not None and server_cpu is not None else None
    results.put((latencies, errors, time.time(), client_cpu, server))


def _connect() -> None:
    """Connect, waiting up to a minute while the server has no connection to spare (others share it)."""
    from django.db import OperationalError, connection

    for _attempt in range(60):
        try:
            connection.ensure_connection()
            return
        except OperationalError:
            time.sleep(1)
    connection.ensure_connection()


def run_ours(
    *, clients: int, size: int, seconds: float, first: int, before: bool = False, latencies: list[float] | None = None
) -> Figures:
    """``clients`` processes calling numbers_add (``before``: the earlier path's), each on its own connection and
    its own customers. ``latencies``, when given, is extended with every application's latency in ms."""
    if clients + 2 > MAX_CONNECTIONS:
        raise ValueError(f"{clients} workers would pass the limit of {MAX_CONNECTIONS} connections")
    from django.db import connections

    connections.close_all()  # each forked worker opens its own
    context = multiprocessing.get_context("fork")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start_at = context.Value("d", 0.0)
    per_worker = CUSTOMERS // clients
    workers = [
        context.Process(
            target=_worker,
            args=(
                list(range(first + w * per_worker, first + (w + 1) * per_worker)),
                size,
                seconds,
                ready,
                go,
                start_at,
                results,
                before,
            ),
        )
        for w in range(clients)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    start_at.value = time.time() + 0.2
    go.set()
    collected = latencies
    latencies: list[float] = []
    errors = 0
    ended = start_at.value
    client_cpu, server_cpu = 0.0, 0.0
    for _ in workers:
        try:
            worker_latencies, worker_errors, worker_end, worker_cpu, backend_cpu = results.get(timeout=seconds + 120)
        except queue.Empty:
            print("  a worker did not report", file=sys.stderr)
            continue
        latencies += worker_latencies
        errors += worker_errors
        ended = max(ended, worker_end)
        client_cpu += worker_cpu
        server_cpu = server_cpu + backend_cpu if backend_cpu is not None and server_cpu is not None else None
    for worker in workers:
        worker.join(timeout=30)
    figures = Figures.of(latencies, ended - start_at.value, errors)
    if collected is not None:
        collected.extend(latencies)
    if latencies:
        figures.client_cpu_ms = client_cpu * 1000 / len(latencies)
        figures.server_cpu_ms = server_cpu * 1000 / len(latencies) if server_cpu is not None else None
    return figures


def run_sql(*, clients: int, size: int, seconds: float, first: int, latencies: list[float] | None = None) -> Figures:
    return pgbench(
        DATABASE,
        clients=clients,
        seconds=seconds,
        script=SQL_SCRIPT,
        defines={"n": size, "cfirst": first, "clast": first + CUSTOMERS - 1},
        latencies=latencies,
    )


def merged(rounds: list[Figures], latencies: list[float]) -> Figures:
    """Rounds of one run taken as one: their applications over their seconds, CPU per application weighted by
    the applications of each round, percentiles of every latency."""
    figures = Figures.of(latencies, sum(f.seconds for f in rounds), sum(f.errors for f in rounds))
    figures.count = sum(f.count for f in rounds)
    for attribute in ("client_cpu_ms", "server_cpu_ms"):
        values = [(getattr(f, attribute), f.count) for f in rounds]
        if all(value is not None for value, _count in values) and figures.count:
            setattr(figures, attribute, sum(value * count for value, count in values) / figures.count)
    return figures


def run_tpcb(*, clients: int, seconds: float) -> Figures:
    return pgbench(PGBENCH_DATABASE, clients=clients, seconds=seconds, builtin="tpcb-like", vacuum_first=True)


def _cpu(ours: Figures, sql: Figures) -> bool:
    return bool(ours.server_cpu_ms and sql.server_cpu_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10], help="numbers per application")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time of each run")
    parser.add_argument("--tpcb-scale", type=int, default=32, help="pgbench -i scale of the tpcb-like database")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--before", action="store_true", help="also run the placement path as it was (bench/allocation_before.py)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each row this many times (each time: ours, the SQL script)"
    )
    args = parser.parse_args()

    first, _last = prepare(args.tpcb_scale)
    # Django is imported once here and shared by the forked workers, which then each connect.
    os.environ.update(django_env(DATABASE))
    import django

    django.setup()
    fastest = 0.0  # numbers/s seen so far, to size the pool ahead of each run
    points = []
    print(
        f"{'clients':>7} {'size':>4}  {'who':<20} {'apps/s':>8} {'numbers/s':>9}  {'p50 / p95 / p99 ms':>22}  ratio",
        flush=True,
    )
    for clients in args.clients:
        tpcb = run_tpcb(clients=clients, seconds=args.seconds)
        print(
            f"{clients:>7} {'':>4}  {'pgbench tpcb-like':<20} {tpcb.per_second:>8.0f} {'':>9}  {tpcb.latency_text():>22}"
        )
        for size in args.sizes:
            rounds: dict[str, list[Figures]] = {"ours": [], "before": [], "sql": []}
            latencies: dict[str, list[float]] = {"ours": [], "before": [], "sql": []}
            for round_ in range(args.rounds):
                # before and after take turns in going first, row after row and round after round
                order = [False, True] if (len(points) + round_) % 2 == 0 else [True, False]
                for before in order if args.before else [False]:
                    who = "before" if before else "ours"
                    refill(max(100_000, int(3 * fastest * args.seconds)))
                    figures = run_ours(
                        clients=clients,
                        size=size,
                        seconds=args.seconds,
                        first=first,
                        before=before,
                        latencies=latencies[who],
                    )
                    rounds[who].append(figures)
                    fastest = max(fastest, figures.per_second * size)
                refill(max(100_000, int(3 * fastest * args.seconds)))
                figures = run_sql(
                    clients=clients, size=size, seconds=args.seconds, first=first, latencies=latencies["sql"]
                )
                rounds["sql"].append(figures)
                fastest = max(fastest, figures.per_second * size)
            ours, sql = merged(rounds["ours"], latencies["ours"]), merged(rounds["sql"], latencies["sql"])
            earlier = merged(rounds["before"], latencies["before"]) if args.before else None
            ratio = ours.per_second / sql.per_second if sql.per_second else 0.0
            rows = [("numbers_add", ours, ratio)]
            if earlier is not None:
                before_ratio = earlier.per_second / sql.per_second if sql.per_second else 0.0
                rows.insert(0, ("numbers_add before", earlier, before_ratio))
            for who, figures, row_ratio in (*rows, ("SQL script (ceiling)", sql, None)):
                print(
                    f"{clients:>7} {size:>4}  {who:<20} {figures.per_second:>8.0f} {figures.per_second * size:>9.0f}  "
                    f"{figures.latency_text():>22}  "
                    + (f"{row_ratio:.2f}" if row_ratio is not None else "    ")
                    + f"  {figures.cpu_text()}"
                    + (f"  server ratio {sql.server_cpu_ms / figures.server_cpu_ms:.2f}" if _cpu(figures, sql) else ""),
                    flush=True,
                )
            if ours.errors or sql.errors or (earlier is not None and earlier.errors):
                before_errors = f", before {earlier.errors}" if earlier is not None else ""
                print(f"  errors: numbers_add {ours.errors}{before_errors}, SQL script {sql.errors}", flush=True)
            point = {
                "clients": clients,
                "size": size,
                "ours": ours.as_dict(),
                "sql": sql.as_dict(),
                "tpcb": tpcb.as_dict(),
                "ratio": ratio,
            }
            if earlier is not None:
                point["before"] = earlier.as_dict()
                point["before_ratio"] = before_ratio
                point["rounds"] = args.rounds
            points.append(point)
    write_json(args.json, {"seconds": args.seconds, "tpcb_scale": args.tpcb_scale, "points": points})


if __name__ == "__main__":
    main()
