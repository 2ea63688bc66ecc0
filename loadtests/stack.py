"""The production shape on one machine: nginx (TLS, load balancer) -> two gunicorn instances with
several workers each -> one PostgreSQL, with Redis as the shared cache and a local SMTP sink.

PostgreSQL is a private cluster made with initdb on a free port, so a test can kill and restart
it without touching any other database on the machine; with ``standby=True`` it is a primary and a
synchronous standby (loadtests/pgcluster.py) and the app servers reach whichever takes writes.
Everything is started as real processes; nothing is mocked. Used by the fault and load tests
(loadtests/) and the HTTP benchmark (bench/).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg
import requests
from cryptography.fernet import Fernet

from loadtests import pgcluster
from loadtests.pgcluster import PostgresNode, free_port
from loadtests.pgcluster import run as _run
from loadtests.pgcluster import wait_for as _wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Stack:
    instances: int = 2
    workers: int = 3
    cache_db: int = 12
    customers: int = 20
    limit: int = 50
    pool: int = 5000
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="selfcare-stack-")))
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    extra_env: dict[str, str] = field(default_factory=dict)
    # A synchronous standby beside the primary (WAL archiving on); archive: archiving without one.
    standby: bool = False
    archive: bool = False

    def __post_init__(self) -> None:
        self.base.chmod(0o755)  # the postgres user walks into it
        self.archive_dir = self.base / "wal-archive" if self.standby or self.archive else None
        self.pg = PostgresNode(self.base, "pg1", archive=self.archive_dir)
        self.pg_standby = PostgresNode(self.base, "pg2", archive=self.archive_dir) if self.standby else None
        self.other_nodes: list[PostgresNode] = []  # restored copies, stopped with the stack
        self.port = free_port()
        self.smtp_port = free_port()
        self.mail_dir = self.base / "mail"
        self.app_ports = [free_port() for _ in range(self.instances)]
        self.gunicorns: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None
        self.sink: subprocess.Popen | None = None
        self.jobs_worker: subprocess.Popen | None = None
        self.secret_key = secrets.token_urlsafe(50)
        self.fernet_key = Fernet.generate_key().decode()

    # -- what the app servers see ------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def certificate(self) -> str:
        return str(self.base / "tls" / "cert.pem")

    @property
    def database_url(self) -> str:
        if self.pg_standby is None:
            return self.pg.url("selfcare")
        # Both servers, in a fixed order; libpq keeps the one that takes writes, whichever it is now.
        hosts = f"127.0.0.1:{self.pg.port},127.0.0.1:{self.pg_standby.port}"
        return f"postgres://postgres@{hosts}/selfcare?target_session_attrs=read-write&connect_timeout=5"

    @property
    def nodes(self) -> list[PostgresNode]:
        return [node for node in (self.pg, self.pg_standby, *self.other_nodes) if node is not None]

    def new_node(self, name: str) -> PostgresNode:
        """Another server beside the stack's (a restore's fresh cluster), stopped with the stack."""
        node = PostgresNode(self.base, name, archive=self.archive_dir)
        self.other_nodes.append(node)
        return node

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SELFCARE_", "DATABASE_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "DJANGO_SECRET_KEY": self.secret_key,
                "SELFCARE_ENCRYPTION_KEYS": self.fernet_key,
                "DATABASE_URL": self.database_url,
                "DATABASE_CONN_MAX_AGE": "60",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SELFCARE_TRUSTED_PROXIES": "127.0.0.1",
                "CACHE_URL": f"redis://127.0.0.1:6379/{self.cache_db}",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp_port),
                "SELFCARE_VAR_DIR": str(self.base / "var"),
                "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT),
            }
        )
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, check: bool = True, database_url: str | None = None) -> subprocess.CompletedProcess:
        """A management command with the app servers' settings (or against another database)."""
        cmd = [str(BIN / "python"), str(ROOT / "manage.py"), *args]
        env = self.env() | ({"DATABASE_URL": database_url} if database_url else {})
        if check:
            return _run(cmd, env=env, cwd=ROOT)
        return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)

    def sql(self, query: str, params: tuple = (), database_url: str | None = None) -> list[tuple]:
        with psycopg.connect(database_url or self.database_url, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()

    # -- start and stop ------------------------------------------------------------------------

    def start(self) -> Stack:
        self.pg.init()
        self.pg.start()
        _run(
            [str(self.pg.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg.port), "-U", "postgres", "selfcare"]
        )
        self._flush_cache()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.seed(customers=self.customers, limit=self.limit, pool=self.pool)
        if self.pg_standby is not None:
            pgcluster.make_standby(self.pg, self.pg_standby)
            pgcluster.require_synchronous_standby(self.pg, self.pg_standby)
        self._certificate()
        self.sink = self._spawn(
            "smtp",
            [
                str(BIN / "python"),
                "-m",
                "loadtests.smtp_sink",
                "--port",
                str(self.smtp_port),
                "--directory",
                str(self.mail_dir),
            ],
        )
        # The jobs worker: the notices of the applications, the registrar drops, the daily jobs.
        self.jobs_worker = self._spawn("jobs", [str(BIN / "python"), "manage.py", "jobs_worker", "--interval", "0.5"])
        for index in range(self.instances):
            self._start_gunicorn(index)
        self._start_nginx()
        _wait_for(lambda: self.get("/login/").status_code == 200, "the portal behind nginx")
        return self

    def seed(self, *, customers: int, limit: int, pool: int, first: str = "05060000000") -> None:
        env = self.env() | {"LOADTEST_PASSWORD": self.password}
        cmd = [str(BIN / "python"), "-m", "loadtests.seed", "--customers", str(customers), "--limit", str(limit)]
        _run([*cmd, "--count", str(pool), "--first", first], env=env, cwd=ROOT)

    def stop(self) -> None:
        processes = [p for p in [self.nginx, *self.gunicorns, self.jobs_worker, self.sink] if p is not None]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def _flush_cache(self) -> None:
        import redis  # installed with Django's Redis cache backend's requirement

        redis.Redis(host="127.0.0.1", port=6379, db=self.cache_db).flushdb()

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
        return subprocess.Popen(cmd, env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def _start_gunicorn(self, index: int) -> None:
        port = self.app_ports[index]
        process = self._spawn(
            f"gunicorn{index}",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--worker-tmp-dir",
                "/dev/shm",
            ],
        )
        self.gunicorns.append(process)
        _wait_for(
            lambda: requests.get(f"http://127.0.0.1:{port}/login/", timeout=2, allow_redirects=False).status_code < 500,
            "gunicorn",
        )

    def _certificate(self) -> None:
        (self.base / "tls").mkdir()
        _run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(self.base / "tls" / "key.pem"),
                "-out",
                self.certificate,
            ]
        )

    def _start_nginx(self) -> None:
        prefix = self.base / "nginx"
        prefix.mkdir()
        site = (ROOT / "deploy" / "nginx-selfcare.conf").read_text()
        for name, value in {
            "@UPSTREAM_SERVERS@": "\n    ".join(
                f"server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;" for port in self.app_ports
            ),
            "@LISTEN@": f"127.0.0.1:{self.port}",
            "@SERVER_NAME@": "127.0.0.1",
            "@CERTIFICATE@": self.certificate,
            "@CERTIFICATE_KEY@": str(self.base / "tls" / "key.pem"),
            "@STATIC_ROOT@": str(self.base / "var" / "static"),
        }.items():
            site = site.replace(name, value)
        (prefix / "selfcare.conf").write_text(site)
        temp = "\n".join(
            f"  {kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 2;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
            + "events { worker_connections 1024; }\n"
            + "http {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
            + "  log_format upstreams '$request_method $uri $status $upstream_addr';\n"
            + f"  access_log {prefix}/access.log upstreams;\n{temp}\n  include {prefix}/selfcare.conf;\n}}\n"
        )
        self.nginx = self._spawn(
            "nginx", [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
        )

    # -- looking at it -------------------------------------------------------------------------

    def get(self, path: str) -> requests.Response:
        with requests.Session() as http:
            http.trust_env = False
            return http.get(self.url + path, verify=self.certificate, timeout=10, allow_redirects=False)

    def workers_of(self, index: int) -> list[psutil.Process]:
        return psutil.Process(self.gunicorns[index].pid).children()

    def all_workers(self) -> list[psutil.Process]:
        return [worker for index in range(self.instances) for worker in self.workers_of(index)]

    def wait_for_workers(self, timeout: float = 30.0) -> None:
        _wait_for(lambda: len(self.all_workers()) == self.instances * self.workers, "the gunicorn workers", timeout)

    def freeze_worker_inside_transaction(
        self, query_like: str, seconds: float = 10.0
    ) -> tuple[psutil.Process, str] | None:
        """A gunicorn worker stopped (SIGSTOP) while inside an open transaction whose statement
        matches ``query_like``: found through pg_stat_activity's client port, stopped, then checked
        again, so it is certainly still inside that transaction. The caller kills it (or SIGCONTs it)."""
        deadline = time.monotonic() + seconds
        activity = (
            "SELECT client_port, query, pid, xact_start FROM pg_stat_activity WHERE datname = current_database() "
            "AND xact_start IS NOT NULL AND pid <> pg_backend_pid() AND query LIKE %s"
        )
        same_transaction = "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND xact_start = %s"
        # Workers keep their database connection (DATABASE_CONN_MAX_AGE), so the map of local ports
        # is made ahead: the worker must be stopped within the transaction's few milliseconds.
        ports = self._workers_by_local_port()
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                for port, query, backend, began in conn.execute(activity, (query_like,)).fetchall():
                    worker = ports.get(port)
                    if worker is None:
                        ports = self._workers_by_local_port()
                        continue
                    os.kill(worker.pid, signal.SIGSTOP)
                    if conn.execute(same_transaction, (backend, began)).fetchall():
                        return worker, query
                    os.kill(worker.pid, signal.SIGCONT)
                time.sleep(0.002)
        return None

    def _workers_by_local_port(self) -> dict[int, psutil.Process]:
        ports: dict[int, psutil.Process] = {}
        for worker in self.all_workers():
            with contextlib.suppress(psutil.Error):
                for connection in worker.net_connections("tcp"):
                    if connection.laddr:
                        ports[connection.laddr.port] = worker
        return ports

    def upstreams_seen(self, method: str, path: str) -> set[str]:
        """The app servers nginx passed these requests to (its access log records the upstream)."""
        log = self.base / "nginx" / "access.log"
        seen = set()
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[0] == method and parts[1] == path:
                seen.update(address.strip(",") for address in parts[3:] if address[0].isdigit())
        return seen
