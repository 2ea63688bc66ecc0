"""Allocation latency as the inventory grows: one client placing applications of 10 numbers, one at
a time, on pools of 10 thousand, 1 million and 10 million numbers made by populate.py (70 % held,
20 % in quarantine, 10 % fresh), beside the same transaction as plain SQL (bench/allocation.sql).

    .venv/bin/python bench/scale.py --numbers 10000 1000000 10000000 --samples 1000

Each size has its database, selfcare_bench_scale_<size>, populated once and reused while
populate.py and the migrations are unchanged. What a run allocates is taken back afterwards
(lines, letters and applications deleted, the numbers freed, the pool tally and the day counts
given back), so every run starts from the same pool and check_invariants still passes on it; only
the audit entries stay.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    ROOT,
    Figures,
    django_env,
    ensure_populated,
    execute,
    pgbench,
    write_json,
)

SIZE = 10  # numbers per application
WARM_UP = 20
BENCH_CUSTOMERS = 4
TABLES = "inventory_phonenumber, orders_issuedline, orders_application, letters_letter, accounts_customer"


def database_name(numbers: int) -> str:
    for unit, label in ((1_000_000, "m"), (1_000, "k")):
        if numbers % unit == 0:
            return f"selfcare_bench_scale_{numbers // unit}{label}"
    return f"selfcare_bench_scale_{numbers}"


def bench_customers(name: str) -> list[int]:
    """A few customers of the benchmark's own with limits out of reach (made once per database)."""
    execute(
        name,
        "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined, consecutive_failures) SELECT '!', false, 'scale' || c, '', '', "
        "'scale' || c || '@example.com', false, true, now(), 0 FROM generate_series(1, %s) AS c "
        "ON CONFLICT (username) DO NOTHING",
        params=[BENCH_CUSTOMERS],
    )
    execute(
        name,
        "INSERT INTO accounts_customer (user_id, contract_name, postal_code, address, plan_id, addition_limit, "
        "numbers_added, status, created_at) SELECT u.id, 'ベンチマーク株式会社 ' || u.username, '1000001', "
        "'東京都千代田区千代田1-1', (SELECT min(id) FROM accounts_plan), 2000000000, 0, 'active', now() "
        "FROM accounts_user u WHERE u.username LIKE 'scale%' "
        "AND NOT EXISTS (SELECT 1 FROM accounts_customer c WHERE c.user_id = u.id) ORDER BY u.id",
    )
    rows = execute(
        name,
        "SELECT c.id FROM accounts_customer c JOIN accounts_user u ON u.id = c.user_id "
        "WHERE u.username LIKE 'scale%' ORDER BY c.id",
    )
    return [row[0] for row in rows]


TIME_ZONE = "Asia/Tokyo"  # config/settings/base.py: the carrier's calendar, which the day counts follow


def take_back(name: str, customers: list[int]) -> None:
    """Undo every allocation of the benchmark's customers, then vacuum: the pool is as populated again."""
    execute(
        name,
        "DELETE FROM letters_letter WHERE customer_id = ANY(%(c)s)",
        # The tallies the applications wrote are taken back with them (check_invariants, invariant 9 and the
        # numbers issued by day): the day counts of the applications, then the numbers held and freed again.
        "INSERT INTO inventory_issuecount (day, numbers) "
        "SELECT (placed_at AT TIME ZONE %(tz)s)::date, -sum(count) FROM orders_application "
        "WHERE customer_id = ANY(%(c)s) GROUP BY 1",
        "WITH gone AS (DELETE FROM orders_issuedline WHERE customer_id = ANY(%(c)s) RETURNING number), "
        "freed AS (UPDATE inventory_phonenumber p SET status = 'free' FROM gone WHERE p.number = gone.number "
        "RETURNING p.available_from) "
        "INSERT INTO inventory_poolchange (available_from, numbers) "
        "SELECT available_from, count(*) FROM freed GROUP BY 1 "
        "UNION ALL SELECT NULL, -count(*) FROM freed HAVING count(*) > 0",
        "DELETE FROM orders_application WHERE customer_id = ANY(%(c)s)",
        "UPDATE accounts_customer SET numbers_added = 0 WHERE id = ANY(%(c)s)",
        params={"c": customers, "tz": TIME_ZONE},
    )
    execute(name, f"VACUUM ANALYZE {TABLES}")


def per_round(name: str) -> int:
    """Applications a round may place without running the fresh part of the pool low."""
    fresh = execute(
        name, "SELECT count(*) FROM inventory_phonenumber WHERE status = 'free' AND available_from <= current_date"
    )[0][0]
    return max(1, min(1_000, int(fresh * 0.8) // SIZE))


def measure_ours(name: str, customers: list[int], samples: int) -> Figures:
    """numbers_add in a child process with Django on this database, in rounds that are taken back."""
    done = subprocess.run(  # noqa: S603 - this script
        [PYTHON, __file__, "--child", name, "--samples", str(samples), "--customers", *map(str, customers)],
        env=django_env(name),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    sys.stderr.write(done.stderr)
    latencies = [float(value) for value in done.stdout.split()]
    return Figures.of(latencies, sum(latencies) / 1000)


def child(name: str, customers: list[int], samples: int) -> None:
    import django

    django.setup()
    from django.db import connection

    from selfcare.audit.services import Actor
    from selfcare.orders.services import numbers_add

    actor = Actor(kind="customer", label="scale")
    latencies: list[float] = []
    budget = per_round(name)
    for warm_up in (True, False):
        wanted = WARM_UP if warm_up else samples
        done = 0
        while done < wanted:
            for i in range(min(budget, wanted - done)):
                started = time.perf_counter()
                numbers_add(
                    customer_id=customers[i % len(customers)],
                    count=SIZE,
                    idempotency_key=uuid.uuid4().hex,
                    actor=actor,
                )
                if not warm_up:
                    latencies.append((time.perf_counter() - started) * 1000)
                done += 1
            connection.close()
            take_back(name, customers)
    print(" ".join(f"{value:.3f}" for value in latencies))


def measure_sql(name: str, customers: list[int], samples: int) -> Figures:
    budget = per_round(name)
    defines = {"n": SIZE, "cfirst": customers[0], "clast": customers[-1]}
    pgbench(name, clients=1, transactions=min(budget, WARM_UP), script=ROOT / "bench/allocation.sql", defines=defines)
    take_back(name, customers)
    latencies: list[float] = []
    done = 0
    while done < samples:
        count = min(budget, samples - done)
        pgbench(
            name,
            clients=1,
            transactions=count,
            script=ROOT / "bench/allocation.sql",
            defines=defines,
            latencies=latencies,
        )
        take_back(name, customers)
        done += count
    return Figures.of(latencies, sum(latencies) / 1000)


def measure(numbers: int, samples: int, fresh: bool) -> dict[str, object]:
    name = database_name(numbers)
    ensure_populated(name, numbers, fresh=fresh)
    customers = bench_customers(name)
    take_back(name, customers)  # in case an earlier run was stopped half-way
    ours = measure_ours(name, customers, samples)
    sql = measure_sql(name, customers, samples)
    return {"numbers": numbers, "database": name, "ours": ours.as_dict(), "sql": sql.as_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, nargs="+", default=[10_000, 1_000_000, 10_000_000])
    parser.add_argument("--samples", type=int, default=1000, help="applications timed at each size")
    parser.add_argument("--fresh", action="store_true", help="populate again even when a pool is there")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--customers", type=int, nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        assert os.environ["DATABASE_URL"].endswith("/" + args.child)
        child(args.child, args.customers, args.samples)
        return

    results = []
    print(f"{'numbers':>11}  {'numbers_add p50 / p95 / p99 ms':>31}  {'SQL script p50 / p95 / p99 ms':>30}", flush=True)
    for numbers in args.numbers:
        result = measure(numbers, args.samples, args.fresh)
        ours, sql = Figures(**_figures(result["ours"])), Figures(**_figures(result["sql"]))
        print(f"{numbers:>11,}  {ours.latency_text():>31}  {sql.latency_text():>30}", flush=True)
        results.append(result)
    if len(results) > 1:
        first, last = results[0], results[-1]
        ratio = last["ours"]["p50"] / first["ours"]["p50"]
        print(f"p50 at {last['numbers']:,} numbers is {ratio:.2f}x the p50 at {first['numbers']:,}")
    write_json(args.json, {"size": SIZE, "samples": args.samples, "points": results})


def _figures(data: dict[str, float]) -> dict[str, float]:
    return {key: value for key, value in data.items() if key != "per_second"}


if __name__ == "__main__":
    main()
