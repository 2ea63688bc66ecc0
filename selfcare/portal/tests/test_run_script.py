"""scripts/run as a first user meets it: the address it prints answers, the logins come last, no e-mail first."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
RULE = "=" * 78


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_until_banner_closes(process: subprocess.Popen, timeout: float = 45) -> list[str]:
    """The script's output up to the closing rule of its start-up banner (fails after ``timeout`` seconds)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    received = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                break
            chunk = os.read(fd, 65536)
            received += chunk
            lines = received.decode(errors="replace").splitlines()
            if not chunk:
                pytest.fail("scripts/run ended before it was ready:\n" + "\n".join(lines))
            if lines.count(RULE) == 2:
                return lines[: len(lines) - lines[::-1].index(RULE)]
    pytest.fail("scripts/run printed no banner in time:\n" + received.decode(errors="replace"))


@pytest.fixture
def fake_npm(tmp_path):
    """An npm that only leaves a mark: scripts/run must not install the browser tests' packages."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mark = tmp_path / "npm-was-called"
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\ntouch {mark}\n")
    npm.chmod(0o755)
    return bin_dir, mark


def test_given_a_port_when_scripts_run_starts_then_it_prints_that_address_and_the_logins_last(tmp_path, fake_npm):
    bin_dir, npm_mark = fake_npm
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EMAIL_"))},
        "PORT": str(port),
        "SELFCARE_VAR_DIR": str(tmp_path / "var"),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    process = subprocess.Popen(
        [str(REPO / "scripts" / "run")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        lines = read_until_banner_closes(process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as response:
            login_page = response.status
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)

    output = "\n".join(lines)
    assert f"Portal:     http://127.0.0.1:{port}/" in output
    assert f"http://127.0.0.1:{port}/staff/" in output
    assert "8000" not in output
    assert login_page == 200
    # The demo logins close the output, nothing of an e-mail comes before them.
    banner = lines[lines.index(RULE) :]
    assert any("Demo login" in line and "セルフケアパスワード" in line for line in banner)
    assert any(line.startswith("Staff site") and "password" in line for line in banner)
    assert "Subject:" not in output and "Content-Type:" not in output
    mails = list((tmp_path / "var" / "demo-mail").iterdir())
    assert mails and "Subject:" in mails[0].read_text()
    assert str(tmp_path / "var" / "demo-mail") in output
    assert not npm_mark.exists()
