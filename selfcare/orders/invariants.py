"""Checks of docs/rules.md's invariants 1, 2, 3, 5 and 9 against the database, for operators.

Each check is one set-based query (plus a streamed pass over the numbers that
have had more than one holder), so it stays fast on ten million numbers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from selfcare.accounts.models import Customer
from selfcare.inventory.models import PhoneNumber
from selfcare.inventory.tally import pool_tally
from selfcare.letters.models import Letter
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import quarantine_end

EXAMPLES = 10


@dataclass
class CheckResult:
    invariant: int
    description: str
    checked: int
    violations: int = 0
    examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.violations == 0


def _tables() -> dict[str, str]:
    return {
        "number": PhoneNumber._meta.db_table,
        "line": IssuedLine._meta.db_table,
        "app": Application._meta.db_table,
        "customer": Customer._meta.db_table,
        "letter": Letter._meta.db_table,
    }


def _scalar(sql: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        return int(cursor.fetchone()[0] or 0)


def _rows(sql: str, params: list[Any] | None = None, limit: int = EXAMPLES) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()) + f" LIMIT {int(limit)}", params)
        return list(cursor.fetchall())


def _count_and_examples(
    invariant: int, description: str, checked: int, sql: str, params: list[Any] | None = None
) -> CheckResult:
    started = time.monotonic()
    # The SQL is this module's own constants and table names; nothing comes from input.
    violations = _scalar(f"SELECT COUNT(*) FROM ({sql}) v", params)  # noqa: S608
    examples = [" ".join(str(c) for c in row) for row in _rows(sql, params)] if violations else []
    return CheckResult(invariant, description, checked, violations, examples, time.monotonic() - started)


def _stream(sql: str) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()))
        while rows := cursor.fetchmany(10_000):
            yield from rows


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC))
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    parsed = dt.datetime.fromisoformat(text)
    return timezone.localdate(parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC))


def invariants_check() -> list[CheckResult]:
    lines = _scalar("SELECT COUNT(*) FROM {line}")
    numbers = _scalar("SELECT COUNT(*) FROM {number}")
    applications = _scalar("SELECT COUNT(*) FROM {app}")
    customers = _scalar("SELECT COUNT(*) FROM {customer}")
    results = [
        _count_and_examples(
            1,
            "no number has two holders not cancelled",
            lines,
            "SELECT number, COUNT(*) FROM {line} WHERE cancellation_id IS NULL GROUP BY number HAVING COUNT(*) > 1",
        ),
        _count_and_examples(
            1,
            "every assigned number has exactly its holder's line",
            numbers,
            "SELECT p.number FROM {number} p WHERE p.status = 'assigned' AND NOT EXISTS "
            "(SELECT 1 FROM {line} l WHERE l.number = p.number AND l.cancellation_id IS NULL)",
        ),
        _count_and_examples(
            1,
            "no free number has a holder not cancelled",
            lines,
            "SELECT p.number FROM {number} p JOIN {line} l ON l.number = p.number "
            "WHERE l.cancellation_id IS NULL AND p.status <> 'assigned'",
        ),
        _count_and_examples(
            2,
            "no customer has added more than its limit, and its counter matches its applications",
            customers,
            "SELECT c.id, c.numbers_added, c.addition_limit, COALESCE(a.total, 0) FROM {customer} c "
            "LEFT JOIN (SELECT customer_id, SUM(count) AS total FROM {app} GROUP BY customer_id) a "
            "ON a.customer_id = c.id "
            "WHERE c.numbers_added > c.addition_limit OR c.numbers_added <> COALESCE(a.total, 0)",
        ),
        _count_and_examples(
            3,
            "every application has exactly its count of lines, all of its customer",
            applications,
            "SELECT a.application_number, a.count, COALESCE(l.n, 0) FROM {app} a "
            "LEFT JOIN (SELECT application_id, COUNT(*) AS n FROM {line} GROUP BY application_id) l "
            "ON l.application_id = a.id WHERE COALESCE(l.n, 0) <> a.count "
            "UNION ALL SELECT a.application_number, a.customer_id, l.customer_id FROM {line} l "
            "JOIN {app} a ON a.id = l.application_id WHERE a.customer_id <> l.customer_id",
        ),
        _count_and_examples(
            3,
            "every line keeps both passwords until they are destroyed",
            lines,
            "SELECT number FROM {line} WHERE secrets_destroyed_at IS NULL "
            "AND (service_pin_encrypted = '' OR sip_password_encrypted = '')",
        ),
        _count_and_examples(
            3,
            "every application has its service-start letter",
            applications,
            "SELECT a.application_number FROM {app} a WHERE NOT EXISTS "
            "(SELECT 1 FROM {letter} t WHERE t.application_id = a.id)",
        ),
    ]
    results.extend(_check_reissues())
    results.append(_check_pool_tally())
    return results


def _check_pool_tally() -> CheckResult:
    """Invariant 9: the pool tally's sums (held; free from each day) are the numbers table's counts."""
    started = time.monotonic()
    counted: dict[object, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN status = 'assigned' THEN NULL ELSE available_from END, COUNT(*) FROM {number} "
            "GROUP BY CASE WHEN status = 'assigned' THEN NULL ELSE available_from END".format(**_tables())
        )
        for day, n in cursor.fetchall():
            counted[None if day is None else _as_date(day)] = n
    tallied = pool_tally()
    days = sorted(set(counted) | set(tallied), key=lambda day: (day is not None, day or dt.date.min))
    wrong = [day for day in days if counted.get(day, 0) != tallied.get(day, 0)]
    result = CheckResult(9, "the pool tally counts what the numbers table holds", sum(counted.values()))
    result.violations = len(wrong)
    result.examples = [
        f"{'held' if day is None else day}: tally {tallied.get(day, 0)}, numbers {counted.get(day, 0)}"
        for day in wrong[:EXAMPLES]
    ]
    result.seconds = time.monotonic() - started
    return result


def _check_reissues() -> list[CheckResult]:
    """Invariant 5 (and 1 over time): a number's holders never overlap, quarantine included."""
    months = settings.SELFCARE_QUARANTINE_MONTHS
    if connection.vendor == "postgresql":
        # PostgreSQL adds calendar months the way clock.add_months does (clamped to the month's end).
        return [
            _count_and_examples(
                5,
                "no number was issued again before its quarantine ended",
                _scalar("SELECT COUNT(*) FROM (SELECT number FROM {line} GROUP BY number HAVING COUNT(*) > 1) r"),
                "SELECT number, issued_at, previous_cancelled_on FROM (SELECT number, issued_at, "
                "LAG(cancelled_on) OVER w AS previous_cancelled_on, LAG(id) OVER w AS previous_id FROM {line} "
                "WHERE number IN (SELECT number FROM {line} GROUP BY number HAVING COUNT(*) > 1) "
                "WINDOW w AS (PARTITION BY number ORDER BY issued_at, id)) s WHERE previous_id IS NOT NULL AND "
                "(previous_cancelled_on IS NULL OR (issued_at AT TIME ZONE %s)::date < "
                "(previous_cancelled_on + make_interval(months => %s))::date)",
                [settings.TIME_ZONE, months],
            ),
            _count_and_examples(
                5,
                "every cancelled number in the pool waits until its quarantine ends",
                _scalar("SELECT COUNT(*) FROM {number} WHERE status = 'free'"),
                "SELECT p.number, p.available_from, MAX(l.cancelled_on) FROM {number} p JOIN {line} l "
                "ON l.number = p.number WHERE p.status = 'free' GROUP BY p.number, p.available_from "
                "HAVING MAX(l.cancelled_on) IS NULL OR p.available_from < "
                "(MAX(l.cancelled_on) + make_interval(months => %s))::date",
                [months],
            ),
        ]
    return [_check_reissues_streamed(), _check_pool_streamed()]


def _check_reissues_streamed() -> CheckResult:
    started = time.monotonic()
    result = CheckResult(5, "no number was issued again before its quarantine ended", 0)
    previous: tuple[str, object, object] | None = None
    for number, issued_at, cancelled_on in _stream(
        "SELECT l.number, l.issued_at, l.cancelled_on FROM {line} l WHERE l.number IN "
        "(SELECT number FROM {line} GROUP BY number HAVING COUNT(*) > 1) ORDER BY l.number, l.issued_at, l.id"
    ):
        result.checked += 1
        if previous is not None and previous[0] == number:
            prev_cancelled = previous[2]
            if prev_cancelled is None or _as_date(issued_at) < quarantine_end(_as_date(prev_cancelled)):
                result.violations += 1
                if len(result.examples) < EXAMPLES:
                    result.examples.append(f"{number} reissued {issued_at} after cancellation {prev_cancelled}")
        previous = (number, issued_at, cancelled_on)
    result.seconds = time.monotonic() - started
    return result


def _check_pool_streamed() -> CheckResult:
    started = time.monotonic()
    result = CheckResult(5, "every cancelled number in the pool waits until its quarantine ends", 0)
    for number, available_from, last_cancelled in _stream(
        "SELECT p.number, p.available_from, MAX(l.cancelled_on) FROM {number} p JOIN {line} l ON l.number = p.number "
        "WHERE p.status = 'free' GROUP BY p.number, p.available_from"
    ):
        result.checked += 1
        if last_cancelled is None or _as_date(available_from) < quarantine_end(_as_date(last_cancelled)):
            result.violations += 1
            if len(result.examples) < EXAMPLES:
                result.examples.append(f"{number} free from {available_from}, cancelled {last_cancelled}")
    result.seconds = time.monotonic() - started
    return result
