"""PostgreSQL as production runs it, on one machine: private clusters (initdb on a free port), a
primary with a synchronous streaming standby, WAL archived to a directory, base backups, promotion,
a failed primary rebuilt as the standby of the new one (pg_rewind) and a point-in-time restore.

Every step is the command docs/operations.md gives an operator (pg_basebackup, pg_ctl, pg_rewind,
psql), run for real; each is recorded in ``commands`` so a test can show what it ran. The servers'
settings are deploy/postgresql/*.conf, read from there so the runbook and the tests cannot drift.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "postgresql"

# Speed over a machine crash's safety (the tests kill processes, never the machine).
TEST_SETTINGS = """
# loadtests: speed over safety against a crash of the whole machine
max_connections = 200
shared_buffers = 256MB
fsync = off
full_page_writes = off
"""

commands: list[str] = []
"""Every command run against a cluster (as the database owner runs it), in order."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as error:  # not there yet
            last = error
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not within {timeout:.0f} s ({last})")


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def as_owner(cmd: list[str]) -> list[str]:
    """Run as the postgres user when started as root: PostgreSQL refuses to run as root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def owned_directory(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


def server_bindir() -> Path:
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not versions:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return Path(versions[-1]).parent


class PostgresNode:
    """One PostgreSQL server of its own: a data directory under ``base/name`` and a free port.

    With an ``archive`` directory it includes deploy/postgresql/selfcare.conf (replication, WAL
    archiving): it can be a primary, a standby, or be restored from the archive.
    """

    def __init__(self, base: Path, name: str = "pg", archive: Path | None = None) -> None:
        self.bindir = server_bindir()
        self.name = name
        self.dir = base / name
        self.data = self.dir / "data"
        self.port = free_port()
        self.archive = archive

    def __repr__(self) -> str:
        return f"<PostgresNode {self.name} :{self.port}>"

    def _command(self, program: str, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / program), *args]
        commands.append(shlex.join(cmd))
        return run(as_owner(cmd))

    # -- making and running it -----------------------------------------------------------------

    def init(self) -> None:
        owned_directory(self.dir)
        self._command(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.configure()

    def configure(self) -> None:
        """The test settings, then (archiving) deploy/postgresql/selfcare.conf, which wins where both speak."""
        conf = self.data / "postgresql.conf"
        text = conf.read_text()
        if TEST_SETTINGS not in text:
            text += TEST_SETTINGS
        if self.archive is not None:
            owned_directory(self.archive)
            self._install(DEPLOY / "selfcare.conf", "selfcare.conf")
            if "include 'selfcare.conf'" not in text:
                text += "include 'selfcare.conf'\n"
        conf.write_text(text)

    def _install(self, template: Path, name: str, **values: str) -> None:
        text = template.read_text().replace("@ARCHIVE@", str(self.archive))
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        path = self.data / name
        path.write_text(text)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def start(self, *settings: str) -> None:
        """``pg_ctl start``; ``settings`` are extra ``name=value`` for this start only."""
        options = [f"-p {self.port}", f"-k {self.dir}", "-c listen_addresses=127.0.0.1", f"-c cluster_name={self.name}"]
        options += [f"-c {setting}" for setting in settings]
        log = str(self.dir / "server.log")
        self._command("pg_ctl", "-D", str(self.data), "-l", log, "-o", " ".join(options), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._command("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def kill(self) -> None:
        """As if the machine went away: SIGKILL to the postmaster and every backend at once. No
        shutdown checkpoint, no goodbye to the standby or the clients."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        # Stopped first, the postmaster starts no backend meanwhile, and none sees it gone and
        # exits on its own (a backend waiting for its standby would, within microseconds).
        os.kill(pid, signal.SIGSTOP)
        processes = [*postmaster.children(recursive=True), postmaster]
        commands.append(f"kill -KILL {' '.join(str(p.pid) for p in processes)}  # {self.name}: backends and postmaster")
        for process in processes:
            os.kill(process.pid, signal.SIGKILL)
        psutil.wait_procs(processes, timeout=10)

    def promote(self) -> None:
        """The standby becomes the primary (``pg_ctl promote`` waits until it takes writes), then stops
        waiting for a standby of its own until one streams from it (``require_synchronous_standby``)."""
        self._command("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")
        self.psql("ALTER SYSTEM RESET synchronous_standby_names")
        self.psql("SELECT pg_reload_conf()")

    # -- talking to it ----------------------------------------------------------------------------

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """One statement through psql, as an operator types it (recorded in ``commands``)."""
        args = ["-X", "-At", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname, "-c", sql]
        return self._command("psql", *args).stdout.strip()

    def query(self, sql: str, params: tuple = (), dbname: str = "postgres") -> list[tuple]:
        """A look at the server (not an operator's step: not recorded)."""
        with psycopg.connect(self.conninfo(dbname), connect_timeout=5, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def in_recovery(self) -> bool:
        return bool(self.query("SELECT pg_is_in_recovery()")[0][0])

    def shutdown_checkpoint(self) -> str:
        """The stopped server's last WAL record (pg_controldata), for a switchover's check that the
        standby has everything."""
        control = self._command("pg_controldata", "-D", str(self.data)).stdout
        fields = dict(line.split(":", 1) for line in control.splitlines() if ":" in line)
        if fields["Database cluster state"].strip() != "shut down":
            raise RuntimeError(f"{self.name} was not shut down cleanly: {fields['Database cluster state'].strip()}")
        return fields["Latest checkpoint location"].strip()

    def received_past(self, lsn: str) -> bool:
        """A standby has received the WAL past ``lsn``."""
        return bool(self.query("SELECT pg_last_wal_receive_lsn() > %s::pg_lsn", (lsn,))[0][0])


# -- the pair: primary and synchronous standby ---------------------------------------------------


def make_standby(primary: PostgresNode, standby: PostgresNode) -> None:
    """A standby from a base backup of the primary: ``pg_basebackup -R`` writes its primary_conninfo
    and standby.signal. Started, and streaming before this returns."""
    owned_directory(standby.dir)
    standby._command(
        "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(standby.data),
        "--write-recovery-conf",
        "--checkpoint=fast",
        "--wal-method=stream",
    )
    standby.start()
    wait_for_streaming(primary, standby)


def wait_for_streaming(primary: PostgresNode, standby: PostgresNode, timeout: float = 60.0) -> None:
    wait_for(
        lambda: primary.query(
            "SELECT 1 FROM pg_stat_replication WHERE application_name = %s AND state = 'streaming'", (standby.name,)
        ),
        f"{standby.name} streaming from {primary.name}",
        timeout,
    )


def require_synchronous_standby(primary: PostgresNode, standby: PostgresNode) -> None:
    """From now on a commit on the primary returns only once the standby has it."""
    wait_for_streaming(primary, standby)
    primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
    primary.psql("SELECT pg_reload_conf()")
    wait_for(
        lambda: primary.query(
            "SELECT 1 FROM pg_stat_replication WHERE application_name = %s AND sync_state = 'sync'", (standby.name,)
        ),
        f"{standby.name} synchronous",
    )


def rewind_as_standby(old: PostgresNode, new_primary: PostgresNode) -> str:
    """The old primary (stopped or killed) rebuilt as a standby of the new one: pg_rewind takes back
    whatever it wrote that the new primary never got, ``--write-recovery-conf`` points it at the
    new primary. Started, streaming and synchronous before this returns. pg_rewind's report."""
    # pg_rewind reads the new primary's timeline from its control file, written by the first
    # checkpoint after the promotion: without this one it may see nothing to rewind.
    new_primary.psql("CHECKPOINT")
    result = old._command(
        "pg_rewind",
        f"--target-pgdata={old.data}",
        f"--source-server={new_primary.conninfo()}",
        "--write-recovery-conf",
        "--progress",
    )
    old.start()
    require_synchronous_standby(new_primary, old)
    return result.stdout + result.stderr


# -- archive, base backup, restore ----------------------------------------------------------------


def archive_current_wal(primary: PostgresNode, timeout: float = 60.0) -> str:
    """Close the WAL segment being written and wait until the archive has it: every commit so far can
    then be restored from the archive. The segment's name."""
    archive = primary.archive
    assert archive is not None, f"{primary.name} does not archive its WAL"
    segment = primary.psql("SELECT pg_walfile_name(pg_switch_wal())")
    wait_for(lambda: (archive / segment).exists(), f"WAL segment {segment} in the archive", timeout)
    return segment


def base_backup(primary: PostgresNode, target: Path) -> None:
    """``pg_basebackup`` (the WAL to make it consistent included), then ``pg_verifybackup`` against its manifest."""
    owned_directory(target.parent)
    primary._command(
        "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(target),
        "--checkpoint=fast",
        "--wal-method=stream",
    )
    primary._command("pg_verifybackup", str(target))


def restore(backup: Path, node: PostgresNode, target: str, timeout: float = 120.0) -> None:
    """A fresh cluster from ``backup`` and the archive, up to ``target`` (a ``recovery_target_*``
    line): the backup copied, deploy/postgresql/restore.conf included, recovery.signal, started with
    archiving off (it must not write into the archive of the live primary) and no standby to wait
    for. Returns once it has reached the target and taken writes."""
    owned_directory(node.dir)
    commands.append(f"cp -a {shlex.quote(str(backup))} {shlex.quote(str(node.data))}")
    run(as_owner(["cp", "-a", str(backup), str(node.data)]))
    node._install(DEPLOY / "restore.conf", "restore.conf", TARGET=target)
    conf = node.data / "postgresql.conf"
    conf.write_text(conf.read_text() + "include 'restore.conf'\n")
    commands.append(f"echo \"include 'restore.conf'\" >> {node.data}/postgresql.conf")
    commands.append(f"touch {node.data}/recovery.signal")
    run(as_owner(["touch", str(node.data / "recovery.signal")]))
    node.start("archive_mode=off", "synchronous_standby_names=''")
    wait_for(lambda: not node.in_recovery(), f"{node.name} recovered to {target}", timeout)
