"""Every staff list, search and the dashboard, and the pages of a customer holding 50 numbers, timed through
Django's test client on a small and a big pool in the same run, beside ``/healthz/`` (a view that does nothing).

    .venv/bin/python bench/staff_pages.py --numbers 10000 10000000 [--repeat 3] [--json FILE]

The pools are bench/populate.py's (the databases of bench/scale.py, populated when they are not there
yet): customers, applications, letters, cancellations and an audit log as production accumulates them.
Staff pages are fetched as a superuser past both login steps (a confirmed authenticator and its current
code entered on /staff/otp/); the customer's pages as the demo customer ``demo-tokyo`` (50 numbers from
five applications). Each page once to warm up (its queries counted and the slowest one kept), then
``--repeat`` times: the median. The search terms are those of one customer in the middle of the pool: a
whole 050 number with and without hyphens, its first 8 digits, the self-care ID, an application number,
the e-mail address and a fragment of the contract name, each on every list that searches.

The figures, with each page's slowest query and its parameters (ready for EXPLAIN), are also written to
test-artifacts/bench/staff_pages.json; each page is printed as it is measured and kept in
test-artifacts/bench/staff_pages.<numbers>.partial.json, so a run that is stopped keeps what it measured.
At ten million numbers a run takes over an hour, most of it in the audit log's searches (about a minute a
query, three queries a page, four fetches). A page that answers anything but 200 is a failure: printed at the
end and kept in the figures (and in docs/benchmarks.md), the error the server logged on standard error.

Targets: a staff page ≤ 150 ms at the biggest pool and ≤ 2× its time at the smallest; a customer page ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, django_env, ensure_populated, execute, write_json
from bench.scale import database_name

ARTIFACT = ROOT / "test-artifacts" / "bench" / "staff_pages.json"
STAFF_TARGET_MS = 150.0
STAFF_GROWTH = 2.0
CUSTOMER_TARGET_MS = 30.0
BENCH_SUPERUSER = "bench-superuser"
DEMO_ID = "demo-tokyo"
LISTS = {  # every staff list, and whether it searches
    "customers": "/staff/accounts/customer/",
    "inventory": "/staff/inventory/phonenumber/",
    "issued lines": "/staff/orders/issuedline/",
    "cancellations": "/staff/orders/cancellation/",
    "applications": "/staff/orders/application/",
    "letters": "/staff/letters/letter/",
    "audit log": "/staff/audit/auditentry/",
    "staff accounts": "/staff/accounts/user/",
    "authenticators": "/staff/otp_totp/totpdevice/",
}
SEARCH_KINDS = [
    "050 number",
    "050 number with hyphens",
    "number prefix (8 digits)",
    "self-care ID",
    "application number",
    "e-mail",
    "contract-name fragment",
]


# --- in the child process, against one pool --------------------------------------------------------------


def search_terms() -> dict[str, str]:
    """The terms an operator would type for one customer in the middle of the pool (one holding a number)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, u.username, u.email, c.contract_name, l.number, a.application_number "
            "FROM accounts_customer c JOIN accounts_user u ON u.id = c.user_id "
            "JOIN orders_issuedline l ON l.customer_id = c.id AND l.cancellation_id IS NULL "
            "JOIN orders_application a ON a.id = l.application_id "
            "WHERE c.id >= (SELECT max(id) / 2 FROM accounts_customer) AND u.username LIKE 'sc%%' "
            "ORDER BY c.id, l.number LIMIT 1"
        )
        _id, username, email, contract_name, number, application_number = cursor.fetchone()
    fragment = contract_name.replace("株式会社", "").replace("有限会社", "")
    return {
        "050 number": number,
        "050 number with hyphens": f"{number[:3]}-{number[3:7]}-{number[7:]}",
        "number prefix (8 digits)": number[:8],
        "self-care ID": username,
        "application number": application_number,
        "e-mail": email,
        "contract-name fragment": fragment,
    }


def staff_client():  # type: ignore[no-untyped-def]
    """A test client logged in as a superuser past the second factor, as a browser would be."""
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from selfcare.accounts.models import User

    user, _created = User.objects.get_or_create(
        username=BENCH_SUPERUSER,
        defaults={"email": "bench@carrier.example", "is_staff": True, "is_superuser": True, "password": "!"},
    )
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    client.force_login(user)
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
    response = client.post("/staff/otp/", {"token": token})
    if response.status_code != 302 or response.url != "/staff/":
        raise RuntimeError(f"the second factor was refused: {response.status_code} {response.get('Location')}")
    return client


def customer_client():  # type: ignore[no-untyped-def]
    from django.test import Client

    from selfcare.accounts.models import User

    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    client.force_login(User.objects.get(username=DEMO_ID))
    return client


class QueryLog:
    """Counts the queries of a request and keeps the slowest one (SQL with its parameters, milliseconds)."""

    def __init__(self) -> None:
        self.count = 0
        self.total_ms = 0.0
        self.slowest: tuple[float, str, object] = (0.0, "", None)

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = (time.perf_counter() - started) * 1000
            self.count += 1
            self.total_ms += took
            if took > self.slowest[0]:
                self.slowest = (took, sql, params)

    def slowest_sql(self) -> str:
        """The slowest query with its parameters in place (for EXPLAIN), formatted after the request."""
        from django.db import connection

        _took, sql, params = self.slowest
        if not sql:
            return ""
        try:
            return connection.ops.compose_sql(sql, params) if params is not None else sql
        except Exception:
            return f"{sql} -- {params!r}"


def measure(client, path: str, repeat: int) -> dict:  # type: ignore[no-untyped-def]
    from django.db import connection

    log = QueryLog()
    with connection.execute_wrapper(log):
        started = time.perf_counter()
        response = client.get(path)
        warm_ms = (time.perf_counter() - started) * 1000
    statuses = [response.status_code]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        statuses.append(response.status_code)
    return {
        "path": path,
        "statuses": statuses,
        "ok": all(status == 200 for status in statuses),
        "times": times,
        "median": statistics.median(times),
        "warm_up": warm_ms,
        "queries": log.count,
        "query_ms": log.total_ms,
        "slowest_query_ms": log.slowest[0],
        "slowest_query": log.slowest_sql()[:4000],
    }


def child(repeat: int) -> dict:
    import django

    django.setup()
    from urllib.parse import urlencode

    from django.db import connection

    terms = search_terms()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.application_number FROM orders_application a JOIN accounts_customer c ON c.id = a.customer_id "
            "JOIN accounts_user u ON u.id = c.user_id WHERE u.username = %s ORDER BY a.placed_at DESC LIMIT 1",
            [DEMO_ID],
        )
        demo_application = cursor.fetchone()[0]
    pages: dict[str, dict] = {}
    staff, customer = staff_client(), customer_client()
    partial = Path(os.environ.get("STAFF_PAGES_PARTIAL", ""))

    def done(name: str) -> None:
        """Each page as it is measured: on standard error, and in the partial file (a stopped run keeps them)."""
        print(f"  {name}: median {pages[name]['median']:,.1f} ms, HTTP {pages[name]['statuses'][-1]}", file=sys.stderr)
        sys.stderr.flush()
        if partial.name:
            partial.write_text(json.dumps({"terms": terms, "pages": pages}, indent=1, default=str))

    from django.test import Client

    anonymous = Client(HTTP_HOST="localhost", raise_request_exception=False)  # no session: the view alone
    pages["/healthz/ (ceiling)"] = {"kind": "ceiling", **measure(anonymous, "/healthz/", max(repeat, 10))}
    done("/healthz/ (ceiling)")
    pages["dashboard /staff/"] = {"kind": "staff", **measure(staff, "/staff/", repeat)}
    done("dashboard /staff/")
    for name, path in LISTS.items():
        pages[f"{name}: list"] = {"kind": "staff", **measure(staff, path, repeat)}
        done(f"{name}: list")
        for kind in SEARCH_KINDS:
            query = urlencode({"q": terms[kind]})
            pages[f"{name}: search, {kind}"] = {"kind": "staff", **measure(staff, f"{path}?{query}", repeat)}
            done(f"{name}: search, {kind}")
    for name, path in (
        ("customer: menu", "/menu/"),
        ("customer: numbers", "/numbers/"),
        ("customer: applications", "/applications/"),
        ("customer: one application", f"/applications/{demo_application}/"),
    ):
        pages[name] = {"kind": "customer", **measure(customer, path, repeat)}
        done(name)
    return {"terms": terms, "demo_application": demo_application, "pages": pages}


# --- the parent: pools, children, the table ---------------------------------------------------------------


def pool_counts(name: str) -> dict[str, int]:
    tables = {
        "numbers": "inventory_phonenumber",
        "customers": "accounts_customer",
        "applications": "orders_application",
        "lines": "orders_issuedline",
        "cancellations": "orders_cancellation",
        "letters": "letters_letter",
        "audit entries": "core_auditentry",
    }
    return {label: int(execute(name, f"SELECT count(*) FROM {table}")[0][0]) for label, table in tables.items()}


def verdict(page: dict, small: dict | None, big: dict) -> tuple[str, bool]:
    """The target the page is held to, and whether the big pool's median meets it."""
    if big["kind"] == "customer":
        return f"≤ {CUSTOMER_TARGET_MS:.0f} ms", big["median"] <= CUSTOMER_TARGET_MS
    if big["kind"] == "staff":
        limit = STAFF_TARGET_MS
        if small is not None:
            limit = min(limit, STAFF_GROWTH * small["median"])
        return f"≤ {STAFF_TARGET_MS:.0f} ms and ≤ {STAFF_GROWTH:.0f}× small", big["median"] <= limit
    return "", True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, nargs="+", default=[10_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="timed fetches of each page after its warm-up")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.repeat)))
        return

    pools = []
    for numbers in sorted(args.numbers):
        name = database_name(numbers)
        ensure_populated(name, numbers)
        execute(name, "VACUUM ANALYZE")  # what earlier runs of other benchmarks left behind
        execute(name, "CHECKPOINT")
        print(f"{name}: timing the pages", flush=True)
        started = time.monotonic()
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        partial = ARTIFACT.with_name(f"staff_pages.{numbers}.partial.json")
        done = subprocess.run(  # noqa: S603 - this script
            [PYTHON, __file__, "--child", "--repeat", str(args.repeat)],
            env={**django_env(name), "STAFF_PAGES_PARTIAL": str(partial)},
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        pools.append({"numbers": numbers, "counts": pool_counts(name), "seconds": time.monotonic() - started, **result})

    small, big = pools[0], pools[-1]
    failures = [
        f"{page} at {pool['numbers']:,} numbers: HTTP {', '.join(map(str, data['statuses']))} ({data['path']})"
        for pool in pools
        for page, data in pool["pages"].items()
        if not data["ok"]
    ]
    rows = []
    for page, data in big["pages"].items():
        before = small["pages"].get(page) if len(pools) > 1 else None
        target, met = verdict(data, before, data)
        rows.append(
            {
                "page": page,
                "kind": data["kind"],
                "small": before["median"] if before else None,
                "big": data["median"],
                "ratio": data["median"] / before["median"] if before and before["median"] else None,
                "target": target,
                "met": met and data["ok"] and (before is None or before["ok"]),
                "queries": data["queries"],
                "slowest_query_ms": data["slowest_query_ms"],
            }
        )
    width = max(len(row["page"]) for row in rows)
    print(f"\n{'page':<{width}}  {small['numbers']:>12,}  {big['numbers']:>12,}  {'ratio':>7}  target")
    for row in rows:
        small_text = f"{row['small']:10.1f} ms" if row["small"] is not None else " " * 13
        ratio = f"{row['ratio']:6.1f}×" if row["ratio"] is not None else " " * 7
        mark = "" if not row["target"] else ("met" if row["met"] else "NOT MET")
        print(f"{row['page']:<{width}}  {small_text}  {row['big']:10.1f} ms  {ratio}  {row['target']} {mark}")
    held = [row for row in rows if row["target"]]
    print(f"\n{sum(row['met'] for row in held)} of {len(held)} pages within their target at {big['numbers']:,} numbers")
    for failure in failures:
        print(f"FAILED: {failure}")
    figures = {"pools": pools, "rows": rows, "failures": failures, "repeat": args.repeat}
    write_json(args.json, figures)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    write_json(ARTIFACT, figures)  # with every page's slowest query, ready for EXPLAIN
    print(f"figures and each page's slowest query: {ARTIFACT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
