"""The API as a program sees it: a live server (gunicorn) that schemathesis drives from the OpenAPI description,
every operation and the links between them, with no server error and no answer outside the description; and
an idempotent POST replayed across a restart of the server (docs/api.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

pytestmark = pytest.mark.once  # its server runs on a SQLite database of its own, whichever the tests use

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

SEED = """
from selfcare.accounts.models import Customer, Plan, User
from selfcare.audit.services import Actor
from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import SCOPES
from selfcare.inventory.services import iter_range, numbers_import
plan = Plan.objects.create(code="basic", name="basic", monthly_fee_per_number=330)
user = User.objects.create_user(username="apitest", email="apitest@example.com", password="!")
customer = Customer.objects.create(user=user, contract_name="API test", plan=plan, addition_limit=100000)
numbers_import(numbers=iter_range("05000000000", "05000019999"), actor=Actor.system("tests"))
print(api_key_create(customer_id=customer.pk, name="live", scopes=list(SCOPES), actor=Actor.system("tests")).key)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    env: dict[str, str]
    port: int
    key: str
    log: object
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "30",
                "--log-level",
                "warning",
                # Every request line reaches the API, which must refuse what breaks its description itself
                # (gunicorn's own 414 for a line over 4094 bytes is documented, and not the API's to test).
                "--limit-request-line",
                "0",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,  # a file: a pipe nobody reads would fill up and stop the server
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/healthz/", timeout=1).read()  # noqa: S310 - our own http server
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the API server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
            self.process = None

    def post(self, path: str, body: dict, key: str) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 - our own http server
            self.base + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json", "Idempotency-Key": key},
        )
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, response.read()


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    if shutil.which("gunicorn", path=str(BIN)) is None:
        pytest.skip("gunicorn is not installed")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the live server runs on SQLite of its own: once, in the SQLite pass of scripts/test")
    var = tmp_path_factory.mktemp("live-api")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "SELFCARE_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'api.sqlite3'}",
        "DJANGO_SECRET_KEY": Fernet.generate_key().decode(),
        "SELFCARE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SELFCARE_API_RATE_PER_MINUTE": "1000000",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    key = (
        subprocess.run([*manage, "shell", "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    server = Live(env=env, port=free_port(), key=key, log=(var / "server.log").open("ab"))
    server.start()
    yield server
    server.stop()


def test_a_replay_after_a_restart_of_the_server_gets_the_first_answer(live):
    first = live.post("/api/v1/applications", {"count": 2}, key="restart-1")
    live.stop()
    live.start()

    again = live.post("/api/v1/applications", {"count": 2}, key="restart-1")

    assert first[0] == again[0] == 201
    assert again[1] == first[1]


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_description(live, tmp_path):
    report = tmp_path / "report"
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{live.base}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {live.key}",
            "--checks",
            "all",
            # A valid request may still be refused by a business rule (the limit, a number not held): 409 and 404.
            "--exclude-checks",
            "positive_data_acceptance",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "12",
            "--seed",
            "20261202",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--max-time",
            "60",
            "--report",
            "junit",
            "--report-dir",
            str(report),
            "--no-color",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
