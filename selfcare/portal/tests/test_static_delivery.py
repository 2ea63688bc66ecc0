"""Static files as production serves them: hashed names from collectstatic, and deploy/nginx-selfcare.conf in
front of them (gzip for CSS and JavaScript, a year's immutable cache for hashed names only)."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[3]
NGINX = Path("/usr/sbin/nginx")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _production_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SELFCARE_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="static-delivery-test-" + "x" * 40,
        SELFCARE_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=f"sqlite:///{var_dir / 'unused.sqlite3'}",
        SELFCARE_VAR_DIR=str(var_dir),
    )
    return env


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """collectstatic under the production settings; returns STATIC_ROOT."""
    var_dir = tmp_path_factory.mktemp("var")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=_production_env(var_dir),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return var_dir / "static"


def _manifest(static_root: Path) -> dict[str, str]:
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


def test_production_collects_every_file_under_a_hashed_name_too(collected):
    paths = _manifest(collected)

    for name in ["portal/portal.css", "portal/portal.js"]:
        hashed = paths[name]
        assert hashed != name and (collected / hashed).is_file()
        assert (collected / hashed).read_bytes() == (collected / name).read_bytes()
    # nginx's own error page is named in its config: it stays under its plain name too.
    assert (collected / "portal" / "unavailable.html").is_file()


@pytest.fixture(scope="module")
def nginx(collected, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """deploy/nginx-selfcare.conf in front of no app server at all (every proxied request gets its 502 page)."""
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: install Debian's nginx package.")
    prefix = tmp_path_factory.mktemp("nginx")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(prefix / "key.pem")),
            *("-out", str(prefix / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    site = (REPO / "deploy" / "nginx-selfcare.conf").read_text()
    for name, value in {
        "@UPSTREAM_SERVERS@": f"server 127.0.0.1:{_free_port()};",
        "@LISTEN@": f"127.0.0.1:{port}",
        "@SERVER_NAME@": "127.0.0.1",
        "@CERTIFICATE@": str(prefix / "cert.pem"),
        "@CERTIFICATE_KEY@": str(prefix / "key.pem"),
        "@STATIC_ROOT@": str(collected),
    }.items():
        site = site.replace(name, value)
    (prefix / "selfcare.conf").write_text(site)
    temp = "\n".join(f"  {kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi"))
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        + "events { worker_connections 64; }\n"
        + "http {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        + f"  access_log off;\n{temp}\n  include {prefix}/selfcare.conf;\n}}\n"
    )
    process = subprocess.Popen(
        [str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {process.stderr.read().decode() if process.stderr else ''}")
                time.sleep(0.05)
        yield f"https://127.0.0.1:{port}", str(prefix / "cert.pem")
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(nginx: tuple[str, str], path: str) -> requests.Response:
    base, certificate = nginx
    with requests.Session() as http:
        http.trust_env = False
        return http.get(base + path, verify=certificate, timeout=10, headers={"Accept-Encoding": "gzip"}, stream=True)


@pytest.mark.parametrize("name", ["portal/portal.css", "portal/portal.js"])
def test_nginx_serves_hashed_css_and_js_gzipped_with_a_years_immutable_cache(collected, nginx, name):
    hashed = _manifest(collected)[name]

    response = _get(nginx, f"/static/{hashed}")

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers.get("Vary", "")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert gzip.decompress(response.raw.read()) == (collected / hashed).read_bytes()


def test_nginx_keeps_a_plain_name_only_an_hour(nginx):
    response = _get(nginx, "/static/portal/portal.css")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_the_page_for_no_app_server_is_never_cached(nginx):
    response = _get(nginx, "/login/")

    assert response.status_code == 502
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert "max-age" not in response.headers.get("Cache-Control", "")
