"""What the benchmark scripts share: their own databases on one server, pgbench, percentiles.

Nothing here imports Django, so the orchestrator can use it before any settings exist.
Every database the benchmarks touch is named selfcare_bench_*; no other is created or dropped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
SERVER = os.environ.get("BENCH_SERVER", DEFAULT_SERVER)
PREFIX = "selfcare_bench_"
# Test suites may share this server (100 connections in all): never more than this at once.
MAX_CONNECTIONS = 34


def database_url(name: str, server: str = "") -> str:
    if not name.startswith(PREFIX):
        raise ValueError(f"benchmark databases are named {PREFIX}*, not {name}")
    parts = urlsplit(server or SERVER)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def connect(name: str = "postgres", server: str = "") -> psycopg.Connection:
    parts = urlsplit(server or SERVER)
    return psycopg.connect(urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")), autocommit=True)


def database_exists(name: str) -> bool:
    with connect() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_database(name: str, *, drop: bool = False) -> None:
    database_url(name)  # refuses any name that is not a benchmark's
    with connect() as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def execute(name: str, *statements: str, params: Sequence[object] | None = None) -> list[tuple]:
    """Run statements in autocommit on a benchmark database; the rows of the last one."""
    rows: list[tuple] = []
    with connect(name) as conn:
        for statement in statements:
            cursor = conn.execute(statement, params)
            rows = cursor.fetchall() if cursor.description else []
    return rows


def scalar(name: str, statement: str, params: Sequence[object] | None = None) -> object:
    return execute(name, statement, params=params)[0][0]


def vacuum(name: str, tables: Iterable[str] = ()) -> None:
    """Autovacuum may be off on a test server: clean up between runs so each starts from the same state."""
    execute(name, f"VACUUM ANALYZE {', '.join(tables)}" if tables else "VACUUM ANALYZE")


def django_env(name: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(name),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_CONN_MAX_AGE": "0",
    }


def run_script(script: str, *args: str, database: str, capture: bool = False) -> str:
    """Run a sibling script (or manage.py) against a benchmark database, echoing its output."""
    path = ROOT / script
    command = [PYTHON, str(path), *args]
    if not capture:
        subprocess.run(command, env=django_env(database), check=True, cwd=ROOT)  # noqa: S603 - our own script
        return ""
    done = subprocess.run(  # noqa: S603 - our own script
        command, env=django_env(database), check=True, cwd=ROOT, capture_output=True, text=True
    )
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.stdout


def populated_marker() -> str:
    """What a populated database was made from: populate.py and the migrations. A change means populate again."""
    digest = hashlib.sha256((BENCH / "populate.py").read_bytes())
    for migration in sorted(ROOT.glob("selfcare/*/migrations/0*.py")):
        digest.update(migration.name.encode())
        digest.update(migration.read_bytes())
    return digest.hexdigest()[:16]


def ensure_populated(name: str, numbers: int, *, fresh: bool = False) -> bool:
    """A database holding populate.py's pool of ``numbers``, reused when it already does. True if made now."""
    # populate.py dates the quarantine from today: a pool older than a month is made again.
    marker = f"{numbers}:{populated_marker()}:{time.strftime('%Y-%m')}"
    create_database(name, drop=fresh)
    found = execute(
        name,
        "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)",
        "SELECT value FROM bench_meta WHERE key = 'populated'",
    )
    if found and found[0][0] == marker:
        print(f"{name}: reusing the pool of {numbers:,} numbers", flush=True)
        return False
    print(f"{name}: populating {numbers:,} numbers", flush=True)
    started = time.monotonic()
    run_script("bench/populate.py", "--numbers", str(numbers), database=name)
    execute(name, "CHECKPOINT")  # write the new pool out now, not while something is being timed
    execute(
        name,
        "INSERT INTO bench_meta VALUES ('populated', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        params=[marker],
    )
    print(f"{name}: populated in {time.monotonic() - started:.0f} s", flush=True)
    return True


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclasses.dataclass
class Figures:
    """A throughput and its latencies, in transactions (applications) and milliseconds."""

    count: int
    seconds: float
    p50: float
    p95: float
    p99: float
    mean: float
    errors: int = 0
    client_cpu_ms: float | None = None
    """CPU time of the client (our worker processes, or pgbench) per transaction."""
    server_cpu_ms: float | None = None
    """CPU time of the PostgreSQL backends serving it, per transaction (server on this machine only)."""

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @classmethod
    def of(cls, latencies_ms: list[float], seconds: float, errors: int = 0) -> Figures:
        values = sorted(latencies_ms)
        mean = sum(values) / len(values) if values else 0.0
        return cls(
            len(values),
            seconds,
            percentile(values, 50),
            percentile(values, 95),
            percentile(values, 99),
            mean,
            errors,
        )

    def as_dict(self) -> dict[str, float]:
        return {**dataclasses.asdict(self), "per_second": self.per_second}

    def latency_text(self) -> str:
        return f"{self.p50:.1f} / {self.p95:.1f} / {self.p99:.1f}"

    def cpu_text(self) -> str:
        if self.client_cpu_ms is None or self.server_cpu_ms is None:
            return ""
        return f"cpu/tx client {self.client_cpu_ms:.2f} ms, server {self.server_cpu_ms:.2f} ms"


CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process on this machine, None when it is not (or no longer) there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def backend_pids(name: str, application: str) -> list[int]:
    with connect() as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s", [name, application]
        ).fetchall()
    return [row[0] for row in rows]


def pgbench_path() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    raise SystemExit("pgbench not found: install postgresql-client (Debian) or put pgbench on PATH")


def _server_args() -> list[str]:
    parts = urlsplit(SERVER)
    return ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]


def pgbench_init(name: str, scale: int) -> None:
    """pgbench's own tables at ``scale`` (100,000 accounts each), generated on the server; kept when already there."""
    create_database(name)
    found = execute(name, "SELECT count(*) FROM pg_tables WHERE tablename = 'pgbench_branches'")[0][0]
    if found and scalar(name, "SELECT count(*) FROM pgbench_branches") == scale:
        return
    print(f"{name}: pgbench -i -s {scale}", flush=True)
    command = [pgbench_path(), "-i", "-q", "-I", "dtGvp", "-s", str(scale), *_server_args(), name]
    subprocess.run(command, check=True)  # noqa: S603 - pgbench with arguments made here


def pgbench(
    name: str,
    *,
    clients: int,
    seconds: float | None = None,
    transactions: int | None = None,
    script: Path | None = None,
    builtin: str | None = None,
    defines: dict[str, object] | None = None,
    vacuum_first: bool = False,
    latencies: list[float] | None = None,
) -> Figures:
    """Run pgbench on a benchmark database; throughput and latency percentiles from its per-transaction log.

    ``latencies``, when given, is extended with every transaction's latency in milliseconds.
    """
    if clients + 1 > MAX_CONNECTIONS:
        raise ValueError(f"{clients} clients would pass the limit of {MAX_CONNECTIONS} connections")
    command = [pgbench_path(), *_server_args(), "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1))]
    # Extended protocol: parameters bound as Django's psycopg binds them, statements not prepared.
    command += ["-M", "extended"]
    command += ["-T", str(max(1, round(seconds)))] if seconds else ["-t", str(transactions)]
    if not vacuum_first:
        command.append("-n")
    command += ["-f", str(script)] if script else ["-b", builtin or "tpcb-like"]
    for key, value in (defines or {}).items():
        command += ["-D", f"{key}={value}"]
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as logs:
        command += ["-l", "--log-prefix", f"{logs}/tx", name]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603 - pgbench, arguments made here
        cpu = _watch_cpu(process, name)
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"pgbench failed ({process.returncode}): {stderr.strip()[-2000:]}")
        measured: list[float] = []
        ends: list[float] = []
        errors = 0
        for log in Path(logs).iterdir():
            for line in log.read_text().splitlines():
                fields = line.split()
                if fields[2] == "failed":
                    errors += 1
                else:
                    measured.append(int(fields[2]) / 1000)
                    ends.append(int(fields[4]) + int(fields[5]) / 1e6)
    if latencies is not None:
        latencies.extend(measured)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", stdout)
    count = int(processed.group(1)) if processed else len(measured)
    tps = float(match.group(1)) if match else 0.0
    figures = Figures.of(measured, count / tps if tps else 0.0, errors)
    figures.count = count
    if cpu is not None:
        (t1, client1, server1), (t2, client2, server2) = cpu
        within = sum(1 for end in ends if t1 <= end <= t2)
        if within:
            figures.client_cpu_ms = (client2 - client1) * 1000 / within
            figures.server_cpu_ms = (server2 - server1) * 1000 / within
    return figures


def _watch_cpu(process: subprocess.Popen, name: str) -> tuple[tuple[float, float, float], ...] | None:
    """CPU of pgbench and of its backends, read every quarter second while it runs: the first and last readings."""
    pids: list[int] = []
    first = last = None
    started = time.monotonic()
    while process.poll() is None:
        time.sleep(0.25)
        if not pids and time.monotonic() - started > 1.0:
            pids = backend_pids(name, "pgbench")
        if not pids:
            continue
        now = time.time()
        client = process_cpu(process.pid)
        servers = [process_cpu(pid) for pid in pids]
        if client is None or any(value is None for value in servers):
            break  # pgbench is ending: keep the last complete reading
        reading = (now, client, sum(v for v in servers if v is not None))
        first = first or reading
        last = reading
    if first is None or last is None or last[0] - first[0] < 1.0:
        return None
    return first, last


def write_json(path: Path | None, data: object) -> None:
    if path is not None:
        path.write_text(json.dumps(data, indent=2, default=str))
