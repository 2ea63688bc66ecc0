"""Helper of scripts/security-scan, run with the project's .venv.

Sub-commands:

``recreate-db URL``
    drop and create the scan's own PostgreSQL database.
``sidecar --smtp-port P --endpoint-port Q --spool DIR``
    a local SMTP sink that keeps each message as a file (the login codes are read from there) and a
    local stand-in for the scanner's SSRF/XXE call-back endpoint that records every request it gets.
``login --base URL --spool DIR --out DIR``
    give the demo customer and the demo staff user fresh random passwords (and the staff user a
    confirmed TOTP device), log both in over HTTPS exactly as a person would (password, then the
    e-mailed code; password, then the authenticator code), and write the session cookies as the
    scanner's cookie files. Nothing secret is printed; DIR and the spool are the run's temporary
    directory, which the script removes at the end.
``dedupe SESSION_DIR``
    between the scanner's crawl and its attacks: keep one resource of each kind (same method, same
    path with its numeric segments alike, same parameter names). Django puts a fresh CSRF mask in
    every form it renders, so the crawler takes each re-rendered form for a new one; the staff site
    has a change page per number. Without this the attack time goes on copies of the same form.
``alive NAME --base URL --out DIR``
    right after a target's scan: is its session (cookie file in DIR) still logged in?
``check --out DIR --reports DIR``
    after the scans: were both sessions still logged in, did the crawls reach logged-in pages, and
    a summary of the findings (``summary.md`` and ``summary.json`` beside the reports).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from email import message_from_bytes, policy
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER_ID = "demo0001"  # made by seed_demo
STAFF_ID = "staff"  # made by seed_demo (a superuser)
CODE_LINE = re.compile(r"^\s*([0-9]{6})\s*$", re.MULTILINE)
LEVELS = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "info"}
# Per target: its cookie file, a page to probe the session with, and where a lost session is sent.
TARGETS = {
    "portal": ("cookies-portal.json", "/menu/", "/login/"),
    "staff": ("cookies-staff.json", "/staff/", "/staff/login/"),
}
# Pages only a logged-in user gets (anything else redirects to the login page): the crawl must reach them.
CUSTOMER_PAGES = ["/menu/", "/numbers/", "/numbers/add/", "/numbers/add/confirm/", "/applications/", "/password/"]
STAFF_PAGES = ["/staff/accounts/customer/", "/staff/inventory/phonenumber/", "/staff/audit/auditentry/"]


# recreate-db ----------------------------------------------------------------------------------


def recreate_db(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in {"postgres", "selfcare"}:
        sys.exit(f"refusing to recreate database {name!r}: use a scan-only name such as selfcare_scan")
    with psycopg.connect(url, dbname="postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# sidecar --------------------------------------------------------------------------------------


class MailKeeper:
    def __init__(self, spool: Path) -> None:
        self.spool = spool

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            folder = self.spool / "mail" / recipient.lower()
            folder.mkdir(parents=True, exist_ok=True)
            name = str(time.time_ns())
            partial = folder / f".{name}.tmp"
            partial.write_bytes(envelope.original_content or envelope.content)
            partial.replace(folder / f"{name}.eml")
        return "250 OK"


class CallbackRecorder:
    """What a scanned application sent to the call-back endpoint (it should send nothing)."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.hits: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def record(self, method: str, path: str, ip: str, size: int) -> None:
        hit = {"method": method, "path": path, "ip": ip, "size": size, "date": dt.datetime.now(dt.UTC).isoformat()}
        with self.lock:
            self.hits.append(hit)
            with self.log.open("a", encoding="utf-8") as out:
                out.write(json.dumps(hit) + "\n")

    def results(self, kind: str, session_id: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """The hits of one scanner session in the shape the scanner asks for: path id -> hex parameter -> hits."""
        found: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        with self.lock:
            hits = list(self.hits)
        for hit in hits:
            parts = hit["path"].strip("/").split("/")
            if len(parts) >= 4 and parts[0] == kind and parts[1] == session_id:
                entry = {"url": hit["path"], "date": hit["date"], "ip": hit["ip"], "method": hit["method"]}
                if kind == "dtd":
                    entry.update({"size": hit["size"], "payload": parts[4] if len(parts) > 4 else ""})
                found[parts[2]][parts[3]].append(entry)
        return {key: dict(value) for key, value in found.items()}


def endpoint_handler(recorder: CallbackRecorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            if size:
                self.rfile.read(size)
            split = urlsplit(self.path)
            query = parse_qs(split.query)
            kind = {"/get_ssrf.php": "ssrf", "/get_xxe.php": "dtd"}.get(split.path)
            if kind is not None:
                body = json.dumps(recorder.results(kind, query.get("session_id", [""])[0])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
            else:
                recorder.record(self.command, self.path, self.client_address[0], size)
                body = b""
                self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def sidecar(smtp_port: int, endpoint_port: int, spool: Path) -> None:
    from aiosmtpd.controller import Controller

    spool.mkdir(parents=True, exist_ok=True)
    mail = Controller(MailKeeper(spool), hostname="127.0.0.1", port=smtp_port)
    mail.start()
    recorder = CallbackRecorder(spool / "callbacks.jsonl")
    server = ThreadingHTTPServer(("127.0.0.1", endpoint_port), endpoint_handler(recorder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    (spool / "sidecar.ready").touch()
    stop.wait()
    server.shutdown()
    mail.stop()


# login ----------------------------------------------------------------------------------------


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def http_session() -> Any:
    """A client that trusts the scan's own self-signed certificate (path in SCAN_CA_FILE)."""
    import requests

    session = requests.Session()
    session.trust_env = False  # neither proxies nor another CA bundle from the environment
    session.verify = os.environ["SCAN_CA_FILE"]
    return session


class HiddenFields(HTMLParser):
    """The hidden inputs of a page's forms (the CSRF token, the admin's ``next``), as a browser sends them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"] or ""] = values.get("value") or ""


def post_form(session: Any, url: str, data: dict[str, str], action: str | None = None) -> Any:
    """Open the page at url and send its form (to action, by default back to url) as a browser would."""
    page = session.get(url, timeout=30)
    page.raise_for_status()
    hidden = HiddenFields()
    hidden.feed(page.text)
    if "csrfmiddlewaretoken" not in hidden.fields:
        raise SystemExit(f"no CSRF token on {page.url}")
    target = urljoin(page.url, action or url)
    return session.post(target, data={**hidden.fields, **data}, headers={"Referer": page.url}, timeout=30)


def wait_for_code(spool: Path, email: str, after_ns: int) -> str:
    folder = spool / "mail" / email.lower()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml"), reverse=True) if folder.is_dir() else []:
            if int(path.stem) < after_ns:
                continue
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            found = CODE_LINE.search(body.get_content() if body is not None else "")
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise SystemExit(f"no login code reached the SMTP sink for {email}")


def cookie_file(session: Any, base: str, path: Path) -> None:
    """The scanner's JSON cookie file: {host: {path: {name: attributes}}}."""
    host = urlsplit(base).hostname
    jar: dict[str, dict[str, dict[str, Any]]] = {}
    for cookie in session.cookies:
        attributes = {"value": cookie.value, "expires": cookie.expires, "secure": cookie.secure, "port": None}
        jar.setdefault(host, {}).setdefault(cookie.path, {})[cookie.name] = {**attributes, "version": 0}
    path.write_text(json.dumps(jar, indent=2), encoding="utf-8")
    path.chmod(0o600)


def login_customer(base: str, spool: Path, out: Path) -> None:
    from selfcare.accounts.models import User

    user = User.objects.get(username=CUSTOMER_ID)
    password = secrets.token_urlsafe(24)
    user.set_password(password)
    user.save(update_fields=["password"])

    session = http_session()
    started = time.time_ns()
    answer = post_form(session, urljoin(base, "/login/"), {"selfcare_id": CUSTOMER_ID, "password": password})
    if urlsplit(answer.url).path != "/login/verify/":
        raise SystemExit(f"customer password step failed: ended at {answer.url} ({answer.status_code})")
    code = wait_for_code(spool, user.email, started)
    answer = post_form(session, urljoin(base, "/login/verify/"), {"code": code})
    if urlsplit(answer.url).path != "/menu/" or answer.status_code != 200:
        raise SystemExit(f"customer code step failed: ended at {answer.url} ({answer.status_code})")
    print(f"customer {CUSTOMER_ID} logged in (password, then the e-mailed code)")

    # One application placed (its page lists the numbers), and one confirmation left open: pages the
    # crawler reaches only by following the 050番号追加申込 steps with a valid number.
    answer = post_form(session, urljoin(base, "/numbers/add/"), {"count": "2"})
    if urlsplit(answer.url).path != "/numbers/add/confirm/":
        raise SystemExit(f"adding numbers failed: ended at {answer.url} ({answer.status_code})")
    answer = post_form(session, answer.url, {}, action="/numbers/add/execute/")
    if not urlsplit(answer.url).path.startswith("/applications/") or answer.status_code != 200:
        raise SystemExit(f"placing the application failed: ended at {answer.url} ({answer.status_code})")
    application_url = answer.url
    answer = post_form(session, urljoin(base, "/numbers/add/"), {"count": "1"})
    if urlsplit(answer.url).path != "/numbers/add/confirm/":
        raise SystemExit(f"adding numbers failed: ended at {answer.url} ({answer.status_code})")
    (out / "start-portal.txt").write_text(f"{application_url}\n{answer.url}\n", encoding="utf-8")
    cookie_file(session, base, out / "cookies-portal.json")
    print("customer: one application placed, one confirmation page left open for the crawler")


def login_staff(base: str, out: Path) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from selfcare.accounts.models import User

    user = User.objects.get(username=STAFF_ID)
    password = secrets.token_urlsafe(24)
    user.set_password(password)
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="security scan", confirmed=True)

    session = http_session()
    answer = post_form(session, urljoin(base, "/staff/login/"), {"username": STAFF_ID, "password": password})
    if urlsplit(answer.url).path != "/staff/otp/":
        raise SystemExit(f"staff password step failed: ended at {answer.url} ({answer.status_code})")
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    answer = post_form(session, urljoin(base, "/staff/otp/"), {"token": token})
    if urlsplit(answer.url).path != "/staff/" or answer.status_code != 200:
        raise SystemExit(f"staff authenticator step failed: ended at {answer.url} ({answer.status_code})")
    cookie_file(session, base, out / "cookies-staff.json")
    (out / "staff-user-id").write_text(str(user.pk), encoding="utf-8")
    (out / "staff-device-id").write_text(str(device.pk), encoding="utf-8")
    print(f"staff user {STAFF_ID} logged in (password, then the authenticator code)")


def login(base: str, spool: Path, out: Path) -> None:
    django_setup()
    from django.core.cache import cache

    cache.clear()  # throttle counters of an earlier run
    out.mkdir(parents=True, exist_ok=True)
    login_customer(base, spool, out)
    login_staff(base, out)


# dedupe ---------------------------------------------------------------------------------------


def resource_kind(method: str, url: str, names: list[tuple[str, str]]) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    path = "/".join("#" if any(char.isdigit() for char in part) else part for part in urlsplit(url).path.split("/"))
    return method, path, tuple(sorted(set(names)))


def dedupe(session_dir: Path) -> None:
    """Drop from the scanner's session (its SQLite file, wapiti 3.2.3 layout) the copies of resources it already has."""
    import sqlite3

    for database in sorted(session_dir.glob("*.db")):
        with sqlite3.connect(database) as connection:
            names: dict[int, list[tuple[str, str]]] = defaultdict(list)
            for path_id, kind, name in connection.execute("SELECT path_id, type, name FROM params"):
                names[path_id].append((kind, name))
            seen: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
            copies: list[int] = []
            rows = connection.execute(
                "SELECT path_id, method, path FROM paths WHERE evil = 0 AND headers IS NOT NULL ORDER BY path_id"
            ).fetchall()
            for path_id, method, url in rows:
                kind = resource_kind(method, url, names[path_id])
                if kind in seen:
                    copies.append(path_id)
                seen.add(kind)
            connection.executemany("DELETE FROM params WHERE path_id = ?", [(path_id,) for path_id in copies])
            connection.executemany("DELETE FROM paths WHERE path_id = ?", [(path_id,) for path_id in copies])
        kept = len(rows) - len(copies)
        print(f"{database.name}: {len(rows)} resources crawled, {kept} distinct ones kept for the attacks")


# check ----------------------------------------------------------------------------------------


def session_alive(base: str, cookies: Path, path: str, login_path: str) -> bool:
    session = http_session()
    for host_cookies in json.loads(cookies.read_text(encoding="utf-8")).values():
        for cookie_path, named in host_cookies.items():
            for name, attributes in named.items():
                session.cookies.set(name, attributes["value"], path=cookie_path)
    answer = session.get(urljoin(base, path), timeout=30, allow_redirects=False)
    return answer.status_code == 200 and login_path not in answer.headers.get("Location", "")


def report_summary(report: Path, logged_in_pages: list[str]) -> dict[str, Any]:
    data = json.loads(report.read_text(encoding="utf-8"))
    crawled = {urlsplit(page["request"]["url"]).path for page in data["infos"].get("crawled_pages") or []}
    findings: list[dict[str, Any]] = []
    for section in ("vulnerabilities", "anomalies", "additionals"):
        for category, items in data.get(section, {}).items():
            for item in items:
                findings.append(
                    {
                        "section": section,
                        "category": category,
                        "module": item.get("module", ""),
                        "level": LEVELS.get(item.get("level", 0), str(item.get("level"))),
                        "method": item.get("method", ""),
                        "path": item.get("path", ""),
                        "parameter": item.get("parameter", ""),
                        "info": item.get("info", ""),
                    }
                )
    return {
        "target": data["infos"]["target"],
        "date": data["infos"].get("date"),
        "version": data["infos"].get("version"),
        "crawled_pages_nbr": data["infos"].get("crawled_pages_nbr"),
        "logged_in_pages_crawled": sorted(page for page in logged_in_pages if page in crawled),
        "logged_in_pages_missed": sorted(page for page in logged_in_pages if page not in crawled),
        "by_level": dict(Counter(finding["level"] for finding in findings)),
        "by_module_level": dict(Counter(f"{finding['module']}/{finding['level']}" for finding in findings)),
        "findings": findings,
    }


def alive(base: str, out: Path, name: str) -> None:
    """Right after a target's scan: is its session still logged in? (Recorded for ``check``.)"""
    cookies, probe, login_path = TARGETS[name]
    logged_in = session_alive(base, out / cookies, probe, login_path)
    (out / f"{name}-alive").write_text("yes" if logged_in else "no", encoding="utf-8")
    print(f"{name}: {'still logged in' if logged_in else 'NOT logged in any more'} after the scan")


def check(out: Path, reports: Path) -> int:
    summary: dict[str, Any] = {}
    failed = False
    lines = ["# Security scan summary", ""]
    for name, pages in (("portal", CUSTOMER_PAGES), ("staff", STAFF_PAGES)):
        result = report_summary(reports / f"{name}.json", pages)
        crawl = json.loads((out / f"{name}-crawl.json").read_text(encoding="utf-8"))
        result["crawled_before_dedupe"] = crawl["infos"]["crawled_pages_nbr"]
        alive_file = out / f"{name}-alive"
        result["session_alive_after_scan"] = alive_file.exists() and alive_file.read_text(encoding="utf-8") == "yes"
        summary[name] = result
        failed |= not result["session_alive_after_scan"] or bool(result["logged_in_pages_missed"])
        lines += [
            f"## {name}: {result['target']}",
            "",
            f"- {result['version']}, {result['date']}",
            f"- crawled: {result['crawled_before_dedupe']} resources, {result['crawled_pages_nbr']} distinct attacked",
            f"- logged-in pages crawled: {', '.join(result['logged_in_pages_crawled']) or 'none'}",
            f"- logged-in pages missed: {', '.join(result['logged_in_pages_missed']) or 'none'}",
            f"- still logged in after the scan: {'yes' if result['session_alive_after_scan'] else 'NO'}",
            "",
            "| module | severity | category | method | path | parameter |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        order = {level: rank for rank, level in enumerate(LEVELS.values())}
        for finding in sorted(result["findings"], key=lambda f: (order.get(f["level"], 9), f["module"], f["path"])):
            cells = [finding[key] for key in ("module", "level", "category", "method", "path", "parameter")]
            lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    (reports / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    (reports / "summary.md").write_text("\n".join(lines), encoding="utf-8")
    for name, result in summary.items():
        counts = ", ".join(f"{level} {result['by_level'].get(level, 0)}" for level in LEVELS.values())
        print(
            f"{name}: {result['crawled_before_dedupe']} resources crawled, {result['crawled_pages_nbr']} attacked, "
            f"{counts}; "
            f"logged-in pages missed: {result['logged_in_pages_missed'] or 'none'}; "
            f"still logged in: {'yes' if result['session_alive_after_scan'] else 'NO'}"
        )
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("recreate-db")
    command.add_argument("url")
    command = commands.add_parser("sidecar")
    command.add_argument("--smtp-port", type=int, required=True)
    command.add_argument("--endpoint-port", type=int, required=True)
    command.add_argument("--spool", type=Path, required=True)
    command = commands.add_parser("login")
    command.add_argument("--base", required=True)
    command.add_argument("--spool", type=Path, required=True)
    command.add_argument("--out", type=Path, required=True)
    command = commands.add_parser("dedupe")
    command.add_argument("session_dir", type=Path)
    command = commands.add_parser("alive")
    command.add_argument("name", choices=sorted(TARGETS))
    command.add_argument("--base", required=True)
    command.add_argument("--out", type=Path, required=True)
    command = commands.add_parser("check")
    command.add_argument("--out", type=Path, required=True)
    command.add_argument("--reports", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "recreate-db":
        recreate_db(args.url)
    elif args.command == "sidecar":
        sidecar(args.smtp_port, args.endpoint_port, args.spool)
    elif args.command == "login":
        login(args.base, args.spool, args.out)
    elif args.command == "dedupe":
        dedupe(args.session_dir)
    elif args.command == "alive":
        alive(args.base, args.out, args.name)
    else:
        sys.exit(check(args.out, args.reports))


if __name__ == "__main__":
    os.umask(0o077)
    main()
