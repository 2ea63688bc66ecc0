"""A real Kamailio on 127.0.0.1 and real sipp REGISTERs against it, for the tests (plain helpers).

Kamailio is started from the kamailio.cfg that ``manage.py registrar_config`` writes, as a
non-root user, with every runtime file under one temporary directory; ``start`` returns only once
it answers SIP on its port and kamcmd on its control socket, and fails the test otherwise.

Where sipp is awkward (replaying a captured request from another address, a forged reply, a phone
that re-uses its nonce), the tests speak SIP over plain UDP sockets with ``UdpPeer``.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

KAMAILIO = Path("/usr/sbin/kamailio")
KAMCMD = Path("/usr/sbin/kamcmd")
SIPP = Path("/usr/bin/sipp")
PACKAGES = "kamailio kamailio-postgres-modules sip-tester"
START_SECONDS = 15

SCENARIO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="register, expect {expect}">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:{domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[service]@{domain}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@{domain}>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>{contact_params}
{extra_headers}      Expires: 600
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[
      REGISTER sip:{domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[service]@{domain}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@{domain}>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>{contact_params}
{extra_headers}      Expires: 600
      [authentication]
      Content-Length: 0

    ]]>
  </send>
  <recv response="{expect}"/>
</scenario>
"""

# One request that is not a REGISTER, answered at once (no challenge).
REQUEST_SCENARIO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{method}, expect {expect}">
  <send retrans="500">
    <![CDATA[
      {method} sip:[service]@{domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[service]@{domain}>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@{domain}>
      Call-ID: [call_id]
      CSeq: 1 {method}
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
  <recv response="{expect}"/>
</scenario>
"""

# sipp -trace_msg: a dashed line with the time, "UDP message sent (N bytes):" or "UDP message received [N] bytes :",
# an empty line, then the message.
TRACE_ENTRY = re.compile(
    r"^-{20,}[^\n]*\n(?:UDP|TCP) message (sent|received)[^\n]*\n\n(.*?)(?=^-{20,}|\Z)", re.MULTILINE | re.DOTALL
)


def require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: install the Debian packages {PACKAGES} (scripts/test does).")
    return path


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unprivileged_user() -> tuple[int, int, str, str] | None:
    """Who Kamailio runs as when the tests run as root: Debian's kamailio user, else nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("kamailio", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid, name, grp.getgrgid(entry.pw_gid).gr_name
    pytest.fail("Running as root, but there is neither a kamailio nor a nobody user to run Kamailio as.")


@dataclass
class Sipp:
    """What one sipp run saw: its exit status, the status codes of the responses it received and every
    message it sent or received, in order (``("sent" | "received", text)``, lines ending in CRLF)."""

    returncode: int
    codes: list[int]
    output: str
    messages: list[tuple[str, str]] = field(default_factory=list)

    def sent(self) -> list[str]:
        return [text for direction, text in self.messages if direction == "sent"]

    def received(self) -> list[str]:
        return [text for direction, text in self.messages if direction == "received"]


def parse_trace(trace: str) -> list[tuple[str, str]]:
    messages = []
    for direction, text in TRACE_ENTRY.findall(trace):
        head = text.replace("\r\n", "\n").strip("\n").split("\n\n", 1)[0]
        messages.append((direction, "\r\n".join(head.split("\n")) + "\r\n\r\n"))
    return messages


def header(message: str, name: str) -> list[str]:
    """The values of every ``name`` header of a SIP message (no compact forms: Kamailio and sipp write full names)."""
    prefix = name.lower() + ":"
    return [line.split(":", 1)[1].strip() for line in message.split("\r\n")[1:] if line.lower().startswith(prefix)]


def status(message: str | None) -> int | None:
    """The status code of a SIP response, or None for no message or a request."""
    if message is None or not message.startswith("SIP/2.0 "):
        return None
    return int(message.split(" ", 2)[1])


def digest_params(value: str) -> dict[str, str]:
    """The parameters of a ``Digest ...`` WWW-Authenticate or Authorization value."""
    return {key.lower(): quoted or plain for key, quoted, plain in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', value)}


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_authorization(
    *, username: str, password: str, realm: str, nonce: str, uri: str, nc: int = 1, cnonce: str = "", qop: bool = True
) -> str:
    """The Authorization value a phone sends for REGISTER (RFC 2617, MD5): with qop=auth, its nonce count
    ``nc`` and ``cnonce``; or, for a phone that ignores qop, the RFC 2069 form without them."""
    ha1 = md5_hex(f"{username}:{realm}:{password}")
    ha2 = md5_hex(f"REGISTER:{uri}")
    value = f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5'
    if not qop:
        return f'{value}, response="{md5_hex(f"{ha1}:{nonce}:{ha2}")}"'
    response = md5_hex(f"{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}")
    return f'{value}, response="{response}", cnonce="{cnonce}", qop=auth, nc={nc:08x}'


class UdpPeer:
    """A SIP peer on a plain UDP socket of its own, at ``host`` (127.0.0.2 is loopback too) and a free port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((host, 0))
        self.host, self.port = self.socket.getsockname()

    def __enter__(self) -> UdpPeer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.socket.close()

    def send(self, message: str, to: tuple[str, int]) -> None:
        self.socket.sendto(message.encode(), to)

    def receive(self, seconds: float) -> str | None:
        """The next message that arrives within ``seconds``, or None."""
        self.socket.settimeout(seconds)
        try:
            data = self.socket.recv(65535)
        except TimeoutError:
            return None
        return data.decode(errors="replace")

    def response_to(self, message: str, to: tuple[str, int], seconds: float = 3.0) -> str | None:
        """Send a request and return the final response to it (1xx skipped), or None if none came."""
        call_id = header(message, "Call-ID")[0]
        self.send(message, to)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            reply = self.receive(left)
            if reply is None:
                return None
            code = status(reply)
            if code is not None and code >= 200 and header(reply, "Call-ID") == [call_id]:
                return reply
        return None


def with_headers(message: str, **replace: str) -> str:
    """``message`` with the named headers (``Call_ID`` for Call-ID) given new values; the others unchanged."""
    wanted = {name.replace("_", "-").lower(): value for name, value in replace.items()}
    lines = message.split("\r\n")
    out = [lines[0]]
    for line in lines[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if line and name in wanted:
            out.append(f"{line.split(':', 1)[0]}: {wanted.pop(name)}")
        else:
            out.append(line)
    assert not wanted, f"no such headers: {sorted(wanted)}"
    return "\r\n".join(out)


@dataclass
class Registrar:
    db_url: str
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="selfcare-kamailio-")))
    port: int = field(default_factory=free_udp_port)
    process: subprocess.Popen | None = None

    @property
    def config(self) -> Path:
        return self.workdir / "kamailio.cfg"

    @property
    def ctl_socket(self) -> Path:
        return self.workdir / "kamailio_ctl"

    @property
    def log(self) -> Path:
        return self.workdir / "kamailio.log"

    @property
    def ctl_address(self) -> str:
        return f"unixs:{self.ctl_socket}"

    def start(self) -> Registrar:
        kamailio = require(KAMAILIO)
        require(KAMCMD)
        require(SIPP)
        if not list(Path("/usr/lib").glob("*/kamailio/modules/db_postgres.so")):
            pytest.fail(f"Kamailio's db_postgres module is missing: install the Debian packages {PACKAGES}.")
        call_command(
            "registrar_config",
            listen=[f"udp:127.0.0.1:{self.port}"],
            db_url=self.db_url,
            ctl_socket=str(self.ctl_socket),
            children=2,
            log_stderr=True,
            output=str(self.config),
        )
        command = [
            str(kamailio),
            "-f",
            str(self.config),
            "-DD",  # stay in the foreground: the test owns the process
            "-E",
            "-P",
            str(self.workdir / "kamailio.pid"),
            "-Y",
            str(self.workdir),
            "-m",
            "32",
        ]
        user = _unprivileged_user()
        if user is not None:
            uid, gid, name, group = user
            os.chmod(self.workdir, 0o750)  # noqa: S103 - the runtime directory of the user it runs as
            os.chown(self.workdir, uid, gid)
            os.chown(self.config, uid, gid)
            command += ["-u", name, "-g", group]
        with self.log.open("wb") as log:
            # Its own process group: stop() ends Kamailio's children too, even if the main process is killed.
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True
            )
        self._wait_until_answering()
        return self

    def _wait_until_answering(self) -> None:
        """Kamailio exits 0 in many failures and forks before it is ready: ask it, over SIP and kamcmd."""
        assert self.process is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"Kamailio exited ({self.process.returncode}) on start:\n{self.log_tail()}")
            if self._answers_options() and self.ctl_socket.exists() and self._answers_kamcmd():
                return
            time.sleep(0.1)
        pytest.fail(
            f"Kamailio did not answer on udp:127.0.0.1:{self.port} within {START_SECONDS} s:\n{self.log_tail()}"
        )

    def _answers_options(self) -> bool:
        call_id = uuid.uuid4().hex
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            probe.settimeout(0.3)
            local = probe.getsockname()[1]
            request = (
                f"OPTIONS sip:{settings.SELFCARE_SIP_DOMAIN} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{call_id[:16]}\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:probe@127.0.0.1>;tag={call_id[:8]}\r\n"
                f"To: <sip:{settings.SELFCARE_SIP_DOMAIN}>\r\n"
                f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            )
            probe.sendto(request.encode(), ("127.0.0.1", self.port))
            try:
                reply = probe.recv(4096).decode(errors="replace")
            except TimeoutError:
                return False
        return reply.startswith("SIP/2.0 200") and call_id in reply

    def _answers_kamcmd(self) -> bool:
        done = subprocess.run(
            [str(KAMCMD), "-s", self.ctl_address, "core.uptime"], capture_output=True, text=True, timeout=5, check=False
        )
        return done.returncode == 0 and "uptime" in done.stdout

    def stop(self) -> None:
        if self.process is not None:
            group = self.process.pid
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=10)
            # Whatever of the group is left (children of a main process that did not get to end them).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._wait_for_database_sessions_to_end()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _wait_for_database_sessions_to_end(self) -> None:
        """Kamailio's main process exits before its children have closed their database sessions."""
        login = urlsplit(self.db_url).username
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [login])
                if cursor.fetchone() == (0,):
                    return
            time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def register(
        self,
        *,
        number: str,
        password: str,
        expect: int,
        username: str | None = None,
        contact_params: str = "",
        extra_headers: tuple[str, ...] = (),
    ) -> Sipp:
        """One sipp REGISTER for ``number`` (401 challenge, then the answer); asserts the answer is ``expect``."""
        scenario = SCENARIO.format(
            domain=settings.SELFCARE_SIP_DOMAIN,
            expect=expect,
            contact_params=contact_params,
            extra_headers="".join(f"      {line}\n" for line in extra_headers),
        )
        result = self.sipp(scenario, service=number, auth=(username or number, password))
        assert result.returncode == 0 and result.codes == [401, expect], (
            f"sipp REGISTER {number}: wanted 401 then {expect}, got {result.codes} (sipp exit {result.returncode})\n"
            f"{result.output}\n--- kamailio ---\n{self.log_tail()}"
        )
        return result

    def request(self, method: str, *, expect: int, service: str = "probe") -> Sipp:
        """One sipp request of another method than REGISTER; asserts the answer is ``expect``."""
        scenario = REQUEST_SCENARIO.format(domain=settings.SELFCARE_SIP_DOMAIN, method=method, expect=expect)
        result = self.sipp(scenario, service=service)
        assert result.returncode == 0 and result.codes == [expect], (
            f"sipp {method}: wanted {expect}, got {result.codes} (sipp exit {result.returncode})\n"
            f"{result.output}\n--- kamailio ---\n{self.log_tail()}"
        )
        return result

    def sipp(self, scenario: str, *, service: str, auth: tuple[str, str] | None = None) -> Sipp:
        """Run one call of ``scenario`` with sipp against this Kamailio; what it saw, not yet checked."""
        assert self.alive(), f"Kamailio is not running:\n{self.log_tail()}"
        run_dir = Path(tempfile.mkdtemp(dir=self.workdir, prefix="sipp-"))
        scenario_file = run_dir / "scenario.xml"
        scenario_file.write_text(scenario)
        command = [
            str(SIPP),
            f"127.0.0.1:{self.port}",
            "-sf",
            str(scenario_file),
            "-nostdin",
            "-m",
            "1",
            "-timeout",
            "10s",
            "-timeout_error",
            "-i",
            "127.0.0.1",
            "-p",
            str(free_udp_port()),
            "-mp",
            str(free_udp_port()),
            "-cp",
            str(free_udp_port()),
            "-s",
            service,
            "-trace_msg",
        ]
        if auth is not None:
            command += ["-au", auth[0], "-ap", auth[1]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=run_dir, check=False)
        trace = "\n".join(path.read_text(errors="replace") for path in sorted(run_dir.glob("*_messages.log")))
        codes = [int(code) for code in re.findall(r"^SIP/2\.0 (\d{3}) ", trace, re.MULTILINE)]
        return Sipp(
            returncode=done.returncode,
            codes=codes,
            output=done.stdout[-2000:] + done.stderr[-2000:],
            messages=parse_trace(trace),
        )
