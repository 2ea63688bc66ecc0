"""The import_numbers command on a range of one million numbers, beside two ceilings on the same
server: COPY of the same rows straight into the table, and one set-based INSERT .. SELECT.

    .venv/bin/python bench/import_numbers.py --numbers 1000000

Uses its own database, selfcare_bench_import, whose pool is emptied before each import.
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

from bench.common import PYTHON, ROOT, create_database, django_env, write_json

DATABASE = "selfcare_bench_import"
FIRST = 5_020_000_000  # 050-2000-0000 onwards, in a database of its own


def child(numbers: int) -> dict[str, float]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    first, last = f"0{FIRST}", f"0{FIRST + numbers - 1}"

    def empty_pool() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE inventory_phonenumber, core_auditentry CASCADE")
            cursor.execute("CHECKPOINT")

    def pool_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM inventory_phonenumber")
            return int(cursor.fetchone()[0])

    timings: dict[str, float] = {}
    empty_pool()
    started = time.perf_counter()
    call_command("import_numbers", first, last, "--no-progress", stdout=io.StringIO())
    timings["import_numbers"] = time.perf_counter() - started
    assert pool_size() == numbers

    empty_pool()
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY inventory_phonenumber (number, status, available_from, imported_at) FROM STDIN"
        ) as copy,
    ):
        imported_at = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
        today = time.strftime("%Y-%m-%d")
        for value in range(FIRST, FIRST + numbers):
            copy.write_row((f"0{value}", "free", today, imported_at))
    timings["copy"] = time.perf_counter() - started
    assert pool_size() == numbers

    empty_pool()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_phonenumber (number, status, available_from, imported_at) "
            "SELECT lpad(i::text, 11, '0'), 'free', current_date, now() FROM generate_series(%s::bigint, %s) AS i "
            "ON CONFLICT (number) DO NOTHING",
            [FIRST, FIRST + numbers - 1],
        )
    timings["insert_select"] = time.perf_counter() - started
    assert pool_size() == numbers
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.numbers)))
        return

    create_database(DATABASE)
    done = subprocess.run(  # noqa: S603 - this script
        [PYTHON, __file__, "--child", "--numbers", str(args.numbers)],
        env=django_env(DATABASE),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    sys.stderr.write(done.stderr)
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    rates = {key: args.numbers / seconds for key, seconds in timings.items()}
    labels = {
        "import_numbers": "import_numbers FIRST LAST",
        "copy": "COPY into the table (ceiling)",
        "insert_select": "INSERT .. SELECT generate_series",
    }
    for key, label in labels.items():
        print(f"{label:<34} {timings[key]:6.1f} s  {rates[key]:>9,.0f} numbers/s")
    write_json(args.json, {"numbers": args.numbers, "seconds": timings, "per_second": rates})


if __name__ == "__main__":
    main()
