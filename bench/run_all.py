"""Every benchmark on PostgreSQL, each figure beside its ceiling from the same run; writes docs/benchmarks.md.

    .venv/bin/python bench/run_all.py --quick    # about 5 minutes: 10 s per load point, pools up to 1 million
    .venv/bin/python bench/run_all.py            # about 20: 30 s per point, pools up to 10 million
    .venv/bin/python bench/run_all.py --only login --write    # one section, written in place of its figures
    .venv/bin/python bench/run_all.py --only staff --write    # staff and customer pages at 10 thousand and 10 million
    .venv/bin/python bench/run_all.py --only api --write      # the business API's POST at 1, 4 and 16 clients

A first run, or one after a change to bench/populate.py or to the migrations, populates its pools
first (with an audit log of three entries per number): a minute or two for a million numbers, about
twenty minutes for ten million.

The server is BENCH_SERVER (default postgres://postgres@127.0.0.1:5432, a superuser: the scripts
create their own databases, all named selfcare_bench_*, and run CHECKPOINT and VACUUM in them).
Never more than 34 connections at once. Populated pools are kept between runs and reused while
bench/populate.py and the migrations are unchanged. Benchmarks print figures; they never fail.
The section of docs/benchmarks.md between the analysis markers is written by hand and kept.
``--only`` leaves docs/benchmarks.md as it was, unless ``--write`` is given: then the sections run
replace their earlier figures (and headline lines), each marked with its own date, and the rest is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, SERVER, create_database, execute, pgbench_path, run_script

DOC = ROOT / "docs" / "benchmarks.md"
ANALYSIS_START = "<!-- analysis: written by hand, kept by bench/run_all.py -->"
ANALYSIS_END = "<!-- end of analysis -->"
MODES = {
    "quick": {
        "clients": [1, 4, 16, 32],
        "sizes": [1, 10],
        "seconds": 10,
        "scale": [10_000, 1_000_000],
        "samples": 300,
        "import": 1_000_000,
        "invariants": 1_000_000,
        "letters": 300,
        "http_seconds": 20,
        "login_seconds": 10,
        "staff": [10_000, 1_000_000],
        "api_seconds": 10,
    },
    "full": {
        "clients": [1, 4, 16, 32],
        "sizes": [1, 10],
        "seconds": 30,
        "scale": [10_000, 1_000_000, 10_000_000],
        "samples": 1000,
        "import": 1_000_000,
        "invariants": 10_000_000,
        "letters": 1000,
        "http_seconds": 60,
        "login_seconds": 30,
        "staff": [10_000, 10_000_000],
        "api_seconds": 30,
    },
}
SECTIONS = ["allocation", "scale", "import", "invariants", "letters", "http", "login", "staff", "api"]
LETTERS_DATABASE = "selfcare_bench_letters"


def run(script: str, *args: str) -> dict:
    """Run one benchmark script, its output shown as it comes; its figures from the JSON it writes."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        subprocess.run([PYTHON, str(ROOT / script), *args, "--json", str(out)], check=True, cwd=ROOT)  # noqa: S603
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def run_letters(letters: int) -> dict:
    create_database(LETTERS_DATABASE)
    output = run_script(
        "bench/letters.py", "--letters", str(letters), "--per-letter", "10", database=LETTERS_DATABASE, capture=True
    )
    # bench/letters.py prints "rendered N letters (N pages, X MB) in S s: R letters/s"
    line = next(line for line in output.splitlines() if line.startswith("rendered "))
    seconds = letters / float(line.rsplit(": ", 1)[1].split()[0])
    reference = run("bench/letters_reference.py", "--pages", str(letters))
    return {
        "letters": letters,
        "seconds": seconds,
        "per_second": letters / seconds,
        "reference": reference,
    }


def run_section(section: str, plan: dict) -> dict:
    if section == "allocation":
        return run(
            "bench/allocation.py",
            "--clients",
            *map(str, plan["clients"]),
            "--sizes",
            *map(str, plan["sizes"]),
            "--seconds",
            str(plan["seconds"]),
        )
    if section == "scale":
        return run("bench/scale.py", "--numbers", *map(str, plan["scale"]), "--samples", str(plan["samples"]))
    if section == "import":
        return run("bench/import_numbers.py", "--numbers", str(plan["import"]))
    if section == "invariants":
        return run("bench/check_invariants.py", "--numbers", str(plan["invariants"]))
    if section == "letters":
        return run_letters(plan["letters"])
    if section == "http":
        return run("bench/http_flow.py", "--seconds", str(plan["http_seconds"]), "--users", "20")
    if section == "staff":
        return run("bench/staff_pages.py", "--numbers", *map(str, plan["staff"]), "--repeat", "3")
    if section == "login":
        return run("bench/login_storm.py", "--seconds", str(plan["login_seconds"]), "--clients", "12", "--compare")
    if section == "api":
        return run("bench/api_applications.py", "--seconds", str(plan["api_seconds"]), "--clients", "1", "4", "16")

    raise ValueError(section)


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    settings = dict(
        execute(
            "selfcare_bench_import",
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
            "('shared_buffers', 'synchronous_commit', 'fsync', 'autovacuum', 'max_connections', 'work_mem')",
        )
    )
    pgbench_version = subprocess.run(  # noqa: S603
        [pgbench_path(), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{int(memory) / 1024 / 1024:.0f} GiB",
        "os": f"{platform.system()} {platform.release()} ({_os_name()})",
        "python": platform.python_version(),
        "django": importlib.metadata.version("Django"),
        "psycopg": importlib.metadata.version("psycopg"),
        "reportlab": importlib.metadata.version("reportlab"),
        "postgresql": str(execute("selfcare_bench_import", "SHOW server_version")[0][0]),
        "pgbench": pgbench_version,
        "postgresql_settings": ", ".join(f"{key} {value}" for key, value in sorted(settings.items())),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def _git(*args: str) -> str:
    """A read-only git query; empty outside a work tree."""
    git = shutil.which("git")
    if git is None:
        return ""
    return subprocess.run([git, *args], capture_output=True, text=True, cwd=ROOT, check=False).stdout.strip()  # noqa: S603


def _os_name() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:
        return ""


# --- docs/benchmarks.md -----------------------------------------------------------------------


def ms(figures: dict) -> str:
    return f"{figures['p50']:.1f} / {figures['p95']:.1f} / {figures['p99']:.1f}"


def allocation_section(data: dict) -> list[str]:
    points = data["points"]
    out = [
        "## Allocation engine",
        "",
        f"Each row: {data['seconds']:.0f} s of `numbers_add` by that many worker processes (each its own "
        "connection and its own customers, limits out of reach, applications of that many numbers), then at once "
        "the same transaction as plain SQL (`bench/allocation.sql`) under pgbench with as many clients, on the same "
        "pool. **Ratio** = our applications/s ÷ the SQL script's: the headline. pgbench's built-in tpcb-like "
        f"(scale {data['tpcb_scale']}, its own database) ran at the same client count just before. Latencies in ms.",
        "",
        "| clients | numbers per application | `numbers_add` applications/s | numbers/s | p50 / p95 / p99 | "
        "SQL script applications/s | numbers/s | p50 / p95 / p99 | **ratio** | tpcb-like tps | p50 / p95 / p99 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in points:
        ours, sql, tpcb, size = p["ours"], p["sql"], p["tpcb"], p["size"]
        errors = f" ({ours['errors']} errors)" if ours["errors"] else ""
        out.append(
            f"| {p['clients']} | {size} | {ours['per_second']:,.0f}{errors} | {ours['per_second'] * size:,.0f} | "
            f"{ms(ours)} | {sql['per_second']:,.0f} | {sql['per_second'] * size:,.0f} | {ms(sql)} | "
            f"**{p['ratio']:.2f}** | {tpcb['per_second']:,.0f} | {ms(tpcb)} |"
        )
    out += [
        "",
        "CPU per application, read from /proc for the worker processes, pgbench and the PostgreSQL backends serving "
        "them (the server runs on this machine). On a machine this size the clients and the server share the same "
        "cores, so the client's CPU bounds the throughput; in production the app servers are other machines and the "
        "database's share is what the one database must carry: **server ratio** = the SQL script's server CPU ÷ "
        "ours, the fraction of the ceiling our code leaves the database able to reach.",
        "",
        "| clients | numbers per application | `numbers_add` client ms | server ms | SQL script client ms | server ms | "
        "**server ratio** |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in points:
        ours, sql = p["ours"], p["sql"]
        if ours.get("server_cpu_ms") is None or sql.get("server_cpu_ms") is None:
            continue
        out.append(
            f"| {p['clients']} | {p['size']} | {ours['client_cpu_ms']:.2f} | {ours['server_cpu_ms']:.2f} | "
            f"{sql['client_cpu_ms']:.2f} | {sql['server_cpu_ms']:.2f} | "
            f"**{sql['server_cpu_ms'] / ours['server_cpu_ms']:.2f}** |"
        )
    return [*out, ""]


def scale_section(data: dict) -> list[str]:
    points = data["points"]
    out = [
        "## Scale",
        "",
        f"One client placing applications of {data['size']} numbers one after another ({data['samples']} timed at "
        "each size, after a warm-up), on pools made by `bench/populate.py`: 70 % held, 20 % in quarantine, 10 % "
        "fresh. Beside it, the SQL script with one pgbench client on the same pool. What is allocated is taken "
        "back between rounds, so every size is timed on the pool as populated. Latencies in ms.",
        "",
        "| numbers in the pool | `numbers_add` p50 / p95 / p99 | mean | SQL script p50 / p95 / p99 | mean | "
        "p50 ÷ p50 at the smallest pool |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = points[0]["ours"]["p50"]
    for p in points:
        out.append(
            f"| {p['numbers']:,} | {ms(p['ours'])} | {p['ours']['mean']:.1f} | {ms(p['sql'])} | "
            f"{p['sql']['mean']:.1f} | {p['ours']['p50'] / base:.2f} |"
        )
    if len(points) > 1:
        ratio = points[-1]["ours"]["p50"] / base
        verdict = "within" if ratio <= 1.5 else "**not** within"
        out += [
            "",
            f"At {points[-1]['numbers']:,} numbers the median allocation takes {ratio:.2f}× its time at "
            f"{points[0]['numbers']:,}: {verdict} the 1.5× the issue asks for.",
        ]
    return [*out, ""]


def import_section(data: dict) -> list[str]:
    seconds, rates = data["seconds"], data["per_second"]
    return [
        "## Import",
        "",
        f"`import_numbers FIRST LAST` of {data['numbers']:,} numbers into an empty pool (its own database), beside "
        "the same rows written by one COPY straight into the table and by one set-based INSERT .. SELECT.",
        "",
        "| how | seconds | numbers/s | ÷ COPY |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {seconds[key]:.1f} | {rates[key]:,.0f} | {rates[key] / rates['copy']:.2f} |"
            for key, label in (
                ("import_numbers", "`import_numbers` (COPY into a temporary table, INSERT .. ON CONFLICT)"),
                ("copy", "COPY into the table (ceiling)"),
                ("insert_select", "INSERT .. SELECT generate_series (no data over the wire)"),
            )
        ),
        "",
    ]


def invariants_section(data: dict) -> list[str]:
    return [
        "## check_invariants",
        "",
        f"`check_invariants` on the populated pool of {data['numbers']:,} numbers "
        f"({'all checks passed' if data['passed'] else '**checks failed**'}), beside one plain pass over the "
        "tables it reads (`SELECT count(*)` of each).",
        "",
        "| what | seconds |",
        "| --- | ---: |",
        f"| `check_invariants` | {data['seconds']:.1f} |",
        f"| one pass over its five tables | {data['one_pass']:.1f} |",
        "",
    ]


def letters_section(data: dict) -> list[str]:
    reference = data["reference"]
    return [
        "## Letters",
        "",
        f"`bench/letters.py --letters {data['letters']} --per-letter 10` on PostgreSQL: one PDF of "
        f"{data['letters']} service-start letters, each with 10 numbers and their real encrypted passwords "
        "(read, decrypted, laid out, IPAexGothic subset embedded). Beside it, `bench/letters_reference.py`: "
        "ReportLab alone drawing pages of the same volume in the same font.",
        "",
        "| what | seconds | pages/s |",
        "| --- | ---: | ---: |",
        f"| `letters_render` | {data['seconds']:.1f} | {data['per_second']:,.0f} |",
        f"| ReportLab alone (ceiling) | {reference['seconds']:.1f} | {reference['per_second']:,.0f} |",
        "",
        f"Ratio: {data['per_second'] / reference['per_second']:.2f}.",
        "",
    ]


def http_section(data: dict) -> list[str]:
    flow, trivial, applying = data["flow"], data["trivial"], data["applying"]
    pages = {name: page for name, page in flow["pages"].items() if name not in ("Aggregated",)}

    def total(run: dict) -> dict:
        return run["pages"]["Aggregated"]

    out = [
        "## The customer flow over HTTPS",
        "",
        f"`bench/http_flow.py --seconds {data['seconds']} --users {data['users']}`: the stack of the fault tests "
        f"(nginx with TLS in front of {data['workers']}, PostgreSQL, Redis, a local SMTP server), locust "
        f"headless with {data['users']} users and no think time, three runs one after the other: `/healthz/` (a "
        "Django view that does nothing: the ceiling); the whole flow, each page its own request (every login a "
        "different customer: one login code a minute and five an hour each); each user logged in once and "
        "applying again and again (メニュー to 完了). Latencies in ms.",
        "",
        "| run | requests/s | flows or applications/s | p50 | p95 | failures | **÷ ceiling** |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| `/healthz/` (ceiling) | {data['trivial_requests_per_second']:,.0f} | | {total(trivial)['p50']:.0f} | "
        f"{total(trivial)['p95']:.0f} | {total(trivial)['failures']} | 1 |",
        f"| the whole flow | {data['flow_requests_per_second']:,.0f} | {data['flows_per_second']:.2f} flows | "
        f"{total(flow)['p50']:.0f} | {total(flow)['p95']:.0f} | {total(flow)['failures']} | **{data['ratio']:.2f}** |",
        f"| logged in, applying | {data['applying_requests_per_second']:,.0f} | "
        f"{data['applications_per_second']:.2f} applications | {total(applying)['p50']:.0f} | "
        f"{total(applying)['p95']:.0f} | {total(applying)['failures']} | **{data['applying_ratio']:.2f}** |",
        "",
        f"`check_invariants` afterwards: {'passed' if data['invariants_after'] else '**failed**'}.",
        "",
        "| page | the flow: requests | p50 | p95 | p99 | applying: requests | p50 | p95 | p99 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in sorted(pages, key=lambda n: (not n[0].isdigit(), int(n.split()[0]) if n[0].isdigit() else 0)):
        page = pages[name]
        label = f"**{name}** (hashing, slow on purpose)" if "argon2" in name else name
        other = applying["pages"].get(name)
        repeated = other is not None and name.split()[0] in {"5", "6", "7", "8", "9", "10"}
        out.append(
            f"| {label} | {page['count']} | {page['p50']:.0f} | {page['p95']:.0f} | {page['p99']:.0f} | "
            + (
                f"{other['count']} | {other['p50']:.0f} | {other['p95']:.0f} | {other['p99']:.0f} |"
                if other is not None and repeated
                else " | | | |"
            )
        )
    out += [
        "",
        "Cores kept busy during each run (CPU seconds ÷ wall seconds), all on this one machine:",
        "",
        "| run | " + " | ".join(flow["cpu_seconds"]) + " |",
        "| --- | " + " | ".join("---:" for _ in flow["cpu_seconds"]) + " |",
    ]
    for label, run in (("`/healthz/`", trivial), ("the whole flow", flow), ("logged in, applying", applying)):
        out.append(
            f"| {label} | "
            + " | ".join(f"{run['cpu_seconds'].get(k, 0.0) / run['elapsed']:.2f}" for k in flow["cpu_seconds"])
            + " |"
        )
    return [*out, ""]


def _hasher_label(alone: dict) -> str:
    return (
        f"argon2id {alone['memory_kib'] / 1024:.0f} MiB, {alone['time_cost']} passes, {alone['parallelism']} lane"
        + ("s" if alone["parallelism"] != 1 else "")
    )


def _whole_ms(figures: dict) -> str:
    return f"{figures['p50']:.0f} / {figures['p95']:.0f} / {figures['p99']:.0f}"


def _peak_mb(run: dict) -> float:
    memory = run["memory"]
    return memory["peak_mb"] if memory.get("peak_mb") is not None else memory["sampled_peak_mb"]


LOGIN_RUNS = {"project": "ours", "django_default": "Django's default"}


def login_section(data: dict) -> list[str]:
    runs = data["runs"]
    out = [
        "## Login storm: the password step per core",
        "",
        f"`bench/login_storm.py --seconds {data['seconds']:.0f} --clients {data['clients']}"
        + (" --compare" if "django_default" in runs else "")
        + f"`: the stack of the HTTP flow above (nginx with TLS in front of {data['workers']}, PostgreSQL, "
        f"Redis, a local SMTP server), {data['clients']} client threads with no think time posting the login form "
        "(self-care ID and its right password) to `/login/`: the whole password step, answered by the redirect to "
        "the code page (hash check, audit entry, pre-login session, login code written and e-mailed). Every step "
        "is a different customer and every thread comes from its own X-Forwarded-For address, so neither the "
        "account lock nor the per-IP throttle is in the way. Beside it in the same run: the hash alone, verified "
        "again and again in one process (the ceiling), and `GET /login/`, the same page without hashing. **Per "
        "app-server core** = requests ÷ CPU seconds of the gunicorn workers: what one core of an app server "
        "serves, however the cores of this shared machine were divided. Peak RSS: the largest high-water mark of "
        "a worker during the measured seconds. Latencies in ms.",
        "",
        "| hasher | what | requests/s on this machine | p50 / p95 / p99 | worker CPU ms a request | "
        "**per app-server core** | ÷ hash alone | peak worker RSS MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in LOGIN_RUNS.items():
        if key not in runs:
            continue
        run = runs[key]
        alone, page, password = run["alone"], run["page"], run["password"]
        errors = f" ({password['errors']} errors)" if password["errors"] else ""
        out += [
            f"| {_hasher_label(alone)} ({label}) | the hash alone, one process | | | {alone['cpu_ms']:.1f} | "
            f"{alone['per_core']:.1f} | 1 | |",
            f"| | `GET /login/` (no hashing) | {page['per_second']:,.0f} | {_whole_ms(page)} | {page['worker_cpu_ms']:.1f} | "
            f"{page['per_core']:,.0f} | | {_peak_mb(page):.0f} |",
            f"| | **`POST /login/`, the password step** | {password['per_second']:.1f}{errors} | {_whole_ms(password)} | "
            f"{password['worker_cpu_ms']:.1f} | **{password['per_core']:.1f}** | "
            f"{password['per_core'] / alone['per_core']:.2f} | {_peak_mb(password):.0f} |",
        ]
    ours = runs["project"]["password"]["per_core"]
    verdict = "met" if ours >= data["target_per_core"] else "**not met**"
    out += ["", f"Target ≥ {data['target_per_core']:.0f} password steps/s per app-server core: {verdict} ({ours:.1f})."]
    if "django_default" in runs:
        before = runs["django_default"]["password"]["per_core"]
        out[-1] += f" With Django's default parameters: {before:.1f}, {ours / before:.1f}× fewer per core than ours."
    out += [
        "",
        "Cores kept busy during each run (CPU seconds ÷ wall seconds), all on this one machine:",
        "",
    ]
    names = list(runs["project"]["password"]["cores_busy"])
    out += ["| hasher | run | " + " | ".join(names) + " |", "| --- | --- | " + " | ".join("---:" for _ in names) + " |"]
    for key, label in LOGIN_RUNS.items():
        if key not in runs:
            continue
        for what, run in (("`GET /login/`", runs[key]["page"]), ("password step", runs[key]["password"])):
            out.append(
                f"| {label} | {what} | " + " | ".join(f"{run['cores_busy'].get(n, 0.0):.2f}" for n in names) + " |"
            )
    return [*out, ""]


def staff_section(data: dict) -> list[str]:
    pools = data["pools"]
    small, big = pools[0], pools[-1]
    sizes = " and ".join(f"{pool['numbers']:,}" for pool in pools)
    out = [
        "## Staff and customer pages at scale",
        "",
        f"`bench/staff_pages.py --numbers {' '.join(str(pool['numbers']) for pool in pools)} --repeat "
        f"{data['repeat']}`: every staff list, each search kind on every list that searches, the dashboard, and the "
        "pages of the demo customer holding 50 numbers, through Django's test client in one process (no web "
        "server), on the pools of "
        f"{sizes} numbers made by `bench/populate.py`, one after the other in the same run. Staff pages as a "
        "superuser past both login steps; each page fetched once to warm up (its queries counted), then "
        f"{data['repeat']} times: the median, in ms. The search terms belong to one customer in the middle of the "
        "pool. The ceiling: `/healthz/`, a view that does nothing, without a session.",
        "",
        "| pool | " + " | ".join(f"{pool['numbers']:,} numbers" for pool in pools) + " |",
        "| --- | " + " | ".join("---:" for _ in pools) + " |",
    ]
    for label in pools[0]["counts"]:
        out.append(f"| {label} | " + " | ".join(f"{pool['counts'][label]:,}" for pool in pools) + " |")
    out.append(
        "| `/healthz/` median ms (ceiling) | "
        + " | ".join(f"{pool['pages']['/healthz/ (ceiling)']['median']:.1f}" for pool in pools)
        + " |"
    )
    out.append("| search terms | " + " | ".join(", ".join(pool["terms"].values()) for pool in pools) + " |")
    out += [
        "",
        f"Targets: a staff page ≤ 150 ms at {big['numbers']:,} numbers and ≤ 2× its time at {small['numbers']:,}; "
        "a customer page ≤ 30 ms. Queries: how many the page ran at the big pool, and its slowest one.",
        "",
        f"| page | {small['numbers']:,} | {big['numbers']:,} | **÷ small** | ÷ `/healthz/` | queries | slowest query ms "
        "| target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    ceiling = big["pages"]["/healthz/ (ceiling)"]["median"]
    for row in data["rows"]:
        if row["kind"] == "ceiling":
            continue
        small_text = f"{row['small']:,.1f}" if row["small"] is not None else ""
        ratio = f"**{row['ratio']:.1f}**" if row["ratio"] is not None else ""
        met = "yes" if row["met"] else "**no**"
        out.append(
            f"| {row['page']} | {small_text} | {row['big']:,.1f} | {ratio} | {row['big'] / ceiling:,.0f} | "
            f"{row['queries']} | {row['slowest_query_ms']:,.1f} | {row['target']} | {met} |"
        )
    held = [row for row in data["rows"] if row["target"]]
    out += ["", f"{sum(row['met'] for row in held)} of {len(held)} pages within their target."]
    if data["failures"]:
        out += ["", "**Pages that did not answer 200** (failures):", ""]
        out += [f"- {failure}" for failure in data["failures"]]
    return [*out, ""]


def headline(results: dict) -> list[str]:
    out = ["## Headline", ""]
    if "allocation" in results:
        points = results["allocation"]["points"]
        for size in sorted({p["size"] for p in points}):
            ratios = ", ".join(f"{p['ratio']:.2f} at {p['clients']}" for p in points if p["size"] == size)
            out.append(f"- Allocation, {size}-number applications: ratio to the SQL ceiling {ratios} clients.")
        for size in sorted({p["size"] for p in points}):
            ratios = ", ".join(
                f"{p['sql']['server_cpu_ms'] / p['ours']['server_cpu_ms']:.2f} at {p['clients']}"
                for p in points
                if p["size"] == size and p["ours"].get("server_cpu_ms") and p["sql"].get("server_cpu_ms")
            )
            if ratios:
                out.append(f"- Database CPU, {size}-number applications: server ratio {ratios} clients.")
        best = max(points, key=lambda p: p["ours"]["per_second"] * p["size"])
        out.append(
            f"- Highest rate of `numbers_add`: {best['ours']['per_second']:,.0f} applications/s = "
            f"{best['ours']['per_second'] * best['size']:,.0f} numbers/s ({_clients(best['clients'])}, "
            f"{best['size']} numbers each)."
        )
    if "scale" in results and len(results["scale"]["points"]) > 1:
        first, last = results["scale"]["points"][0], results["scale"]["points"][-1]
        out.append(
            f"- Scale: p50 {first['ours']['p50']:.1f} ms at {first['numbers']:,} numbers, "
            f"{last['ours']['p50']:.1f} ms at {last['numbers']:,} ({last['ours']['p50'] / first['ours']['p50']:.2f}×)."
        )
    if "import" in results:
        data = results["import"]
        out.append(
            f"- `import_numbers`: {data['per_second']['import_numbers']:,.0f} numbers/s "
            f"({data['per_second']['import_numbers'] / data['per_second']['copy']:.2f} of a plain COPY)."
        )
    if "invariants" in results:
        data = results["invariants"]
        out.append(f"- `check_invariants` on {data['numbers']:,} numbers: {data['seconds']:.1f} s.")
    if "letters" in results:
        data = results["letters"]
        out.append(
            f"- Letters: {data['per_second']:,.0f} PDF letters/s "
            f"({data['per_second'] / data['reference']['per_second']:.2f} of ReportLab alone)."
        )
    if "http" in results:
        data = results["http"]
        password = next((p for n, p in data["flow"]["pages"].items() if "argon2" in n), None)
        out.append(
            f"- Customer flow over HTTPS: {data['flows_per_second']:.2f} flows/s, "
            f"{data['flow_requests_per_second']:,.0f} requests/s = {data['ratio']:.2f} of a view that does nothing "
            f"({data['trivial_requests_per_second']:,.0f}/s); logged in, {data['applications_per_second']:.1f} "
            f"applications/s = {data['applying_ratio']:.2f} of it"
            + (f"; the password page alone p95 {password['p95']:,.0f} ms." if password else ".")
        )
    if "login" in results:
        runs = results["login"]["runs"]
        ours = runs["project"]
        line = (
            f"- Login storm: {ours['password']['per_core']:.1f} password steps/s per app-server core with "
            f"{_hasher_label(ours['alone'])} (the hash alone {ours['alone']['per_core']:.0f}/s, the login page "
            f"{ours['page']['per_core']:,.0f}/s), peak worker RSS {_peak_mb(ours['password']):.0f} MB"
        )
        if "django_default" in runs:
            before = runs["django_default"]
            line += (
                f"; with Django's default parameters {before['password']['per_core']:.1f}/s and "
                f"{_peak_mb(before['password']):.0f} MB"
            )
        out.append(line + ".")
    if "staff" in results:
        out.append(_staff_headline(results["staff"]))
    if "api" in results:
        out.append(_api().headline_line(results["api"]))
    return [*out, ""]


def _staff_headline(data: dict) -> str:
    big = data["pools"][-1]["numbers"]
    held = [row for row in data["rows"] if row["target"]]
    slowest = max((row for row in held if row["kind"] == "staff"), key=lambda row: row["big"])
    customer = max((row for row in held if row["kind"] == "customer"), key=lambda row: row["big"])
    failed = f"; **{len(data['failures'])} pages failed**" if data["failures"] else ""
    return (
        f"- Staff and customer pages at {big:,} numbers: {sum(row['met'] for row in held)} of {len(held)} within "
        f"their target; slowest staff page {slowest['page']} {slowest['big']:,.0f} ms, slowest customer page "
        f"{customer['page']} {customer['big']:,.0f} ms{failed}."
    )


def _clients(count: int) -> str:
    return f"{count} client" + ("" if count == 1 else "s")


def kept_analysis() -> str:
    if DOC.exists():
        text = DOC.read_text()
        if ANALYSIS_START in text and ANALYSIS_END in text:
            return text[text.index(ANALYSIS_START) : text.index(ANALYSIS_END) + len(ANALYSIS_END)]
    return f"{ANALYSIS_START}\n## What remains and why\n\n(Not written yet.)\n{ANALYSIS_END}"


def _api():
    """bench/api_applications.py writes its own section (imported only when needed: it imports the stack)."""
    from bench import api_applications

    return api_applications


BUILDERS = {
    "allocation": allocation_section,
    "scale": scale_section,
    "import": import_section,
    "invariants": invariants_section,
    "letters": letters_section,
    "http": http_section,
    "login": login_section,
    "staff": staff_section,
    "api": lambda data: _api().doc_section(data),
}


def write_doc(
    results: dict,
    failed: dict[str, str],
    info: dict[str, str],
    command: str,
    mode: str,
    started: dt.datetime,
    took: float,
) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run_all.py`; the analysis section is written by hand and kept when the figures are "
        "written again. Every figure stands beside its ceiling measured on the same server in the same run, so the "
        "ratios hold on a noisy machine even where the absolute figures do not. Benchmarks print figures; they never "
        "fail CI.",
        "",
        "```sh",
        command,
        "```",
        "",
        f"Run of {started:%Y-%m-%d %H:%M} UTC, {mode} mode, {took / 60:.0f} minutes.",
        "",
        "| | |",
        "| --- | --- |",
        f"| machine | {info['cpu']}, {info['memory']}; {info['os']} |",
        f"| PostgreSQL | {info['postgresql']} on the same machine ({info['postgresql_settings']}) |",
        f"| pgbench | {info['pgbench']} |",
        f"| Python, Django | {info['python']}, Django {info['django']}, psycopg {info['psycopg']}, "
        f"ReportLab {info['reportlab']} |",
        f"| code | commit {info['commit']} |",
        f"| load average before, after | {info['load_before']}, {info['load_after']} |",
        "",
        *headline(results),
    ]
    for section in SECTIONS:
        if section in results:
            lines += BUILDERS[section](results[section])
    if failed:
        lines += ["## Not measured in this run", ""]
        lines += [f"- {section}: failed ({error[-300:]}); its output says why." for section, error in failed.items()]
        lines.append("")
    lines += [kept_analysis(), ""]
    DOC.write_text("\n".join(lines))
    print(f"wrote {DOC.relative_to(ROOT)}")


def _blocks(text: str) -> list[list[str]]:
    """The page cut at its "## " headings: the part before the first, then one block per section."""
    blocks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.startswith("## "):
            blocks.append([])
        blocks[-1].append(line)
    for block in blocks:
        while block and block[-1] == "":
            block.pop()
    return [block for block in blocks if block]


def splice_doc(results: dict, info: dict[str, str], command: str, mode: str, started: dt.datetime) -> None:
    """Write the sections of an ``--only`` run in place of their earlier figures and headline lines; keep the rest."""
    text = DOC.read_text() if DOC.exists() else ""
    if ANALYSIS_START not in text:
        raise SystemExit(f"{DOC.relative_to(ROOT)} has no analysis marker: run every section to write it whole")
    blocks = _blocks(text[: text.index(ANALYSIS_START)])
    note = (
        f"Measured on its own on {started:%Y-%m-%d %H:%M} UTC ({mode} mode, `{command}`), commit {info['commit']}, "
        f"load average before, after {info['load_before']}, {info['load_after']}; the other sections come from the "
        "run described at the top."
    )
    for section in (s for s in SECTIONS if s in results):
        heading, *rest = BUILDERS[section](results[section])
        new = [heading, "", note, *rest]
        found = [index for index, block in enumerate(blocks) if block[0] == heading]
        if found:
            blocks[found[0]] = new
        else:
            before = [index for index, block in enumerate(blocks) if block[0] == "## Not measured in this run"]
            blocks.insert(before[0] if before else len(blocks), new)
        for block in blocks:
            if block[0] == "## Headline":
                for bullet in (line for line in headline({section: results[section]}) if line.startswith("- ")):
                    key = bullet.split(":", 1)[0]
                    same = [index for index, line in enumerate(block) if line.split(":", 1)[0] == key]
                    if same:
                        block[same[0]] = bullet
                    else:
                        block.append(bullet)
    for block in blocks:
        while block and block[-1] == "":
            block.pop()
    DOC.write_text("\n\n".join("\n".join(block) for block in blocks) + "\n\n" + kept_analysis() + "\n")
    print(f"wrote {', '.join(s for s in SECTIONS if s in results)} into {DOC.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s per load point, pools up to 1 million")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these (docs/benchmarks.md untouched)")
    parser.add_argument("--write", action="store_true", help="with --only: write them in place of their figures")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    plan = MODES[mode]
    sections = args.only or SECTIONS
    command = ".venv/bin/python bench/run_all.py" + (" --quick" if args.quick else "")
    if args.only:
        command += " --only " + " ".join(args.only) + (" --write" if args.write else "")
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    print(f"{mode} run on {SERVER}: {', '.join(sections)}", flush=True)
    create_database("selfcare_bench_import")
    load_before = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())

    results: dict = {}
    failed: dict[str, str] = {}
    for section in sections:
        print(f"\n== {section} ==", flush=True)
        try:
            results[section] = run_section(section, plan)
        except (subprocess.CalledProcessError, RuntimeError, OSError, ValueError, KeyError) as error:
            # A benchmark that breaks is reported, never fatal: the others still run and are written.
            print(f"{section} failed: {error}", file=sys.stderr, flush=True)
            failed[section] = str(error)

    info = machine()
    info["load_before"], info["load_after"] = load_before, "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    took = time.monotonic() - clock
    print(f"\n{mode} run took {took / 60:.1f} minutes")
    if args.only:
        print("\n".join(headline(results)))
        if args.write and results:
            splice_doc(results, info, command, mode, started)
        else:
            print("(--only: docs/benchmarks.md left as it was)")
        return
    write_doc(results, failed, info, command, mode, started, took)


if __name__ == "__main__":
    main()
