"""The check_invariants command on a populated pool (ten million numbers by default), beside one
plain pass over the tables it checks (SELECT count(*) of each), on the same server.

    .venv/bin/python bench/check_invariants.py --numbers 10000000

Uses bench/scale.py's database of that size (populated if it is not there yet).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, django_env, ensure_populated, execute, write_json
from bench.scale import bench_customers, database_name, take_back

TABLES = ["inventory_phonenumber", "orders_issuedline", "orders_application", "accounts_customer", "letters_letter"]


def child() -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection

    started = time.perf_counter()
    output = io.StringIO()
    try:
        call_command("check_invariants", stdout=output)
        passed = True
    except CommandError:
        passed = False
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            cursor.fetchone()
    one_pass = time.perf_counter() - started
    return {"seconds": seconds, "one_pass": one_pass, "passed": passed, "output": output.getvalue()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=10_000_000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child()))
        return

    name = database_name(args.numbers)
    ensure_populated(name, args.numbers)
    take_back(name, bench_customers(name))  # nothing left over from a stopped scale run
    execute(name, "CHECKPOINT")
    done = subprocess.run(  # noqa: S603 - this script
        [PYTHON, __file__, "--child"], env=django_env(name), check=True, capture_output=True, text=True, cwd=ROOT
    )
    sys.stderr.write(done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(result.pop("output"), end="")
    print(
        f"check_invariants on {args.numbers:,} numbers: {result['seconds']:.1f} s "
        f"({'passed' if result['passed'] else 'FAILED'}); one pass over its tables: {result['one_pass']:.1f} s"
    )
    write_json(args.json, {"numbers": args.numbers, **result})


if __name__ == "__main__":
    main()
