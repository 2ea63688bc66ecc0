"""Checks of docs/rules.md's invariants 1, 2, 3, 5 and 9 against the database, for operators.

Each check is one set-based query (plus a streamed pass over the numbers that
have had more than one holder), so it stays fast on ten million numbers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from selfcare.accounts.models import Customer
from selfcare.inventory.models import IssueCount, PhoneNumber, PoolChange
from selfcare.letters.models import Letter
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import quarantine_end

EXAMPLES = 10
T = TypeVar("T")
ISSUE_COUNT = "the numbers issued by day are those of the applications placed that day"
ONE_LIVE_HOLDER = "no number has two holders not cancelled"
FREE_WITH_HOLDER = "no free number has a holder not cancelled"


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
        "tally": PoolChange._meta.db_table,
        "issued": IssueCount._meta.db_table,
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
    return _stream_with(sql, None)


def _stream_with(sql: str, params: list[Any] | None) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
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


SESSIONS = 2
"""PostgreSQL sessions the checks are spread over (each check is one statement, consistent in itself)."""


def invariants_check() -> list[CheckResult]:
    """Every check. On PostgreSQL in two sessions at once (outside a transaction; inside one, such as a test's,
    in its own session, which alone sees its rows), each with the memory its big joins and groupings need
    (at the default ``work_mem`` they spill to disk) and without JIT compilation (tenths of a second a query,
    more than it saves here). What each costs at ten million numbers: docs/benchmarks.md."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with _tuned():
            counts = {name: _scalar(sql) for name, sql in _COUNTS.items()}
            results = _flat(check() for check in _plan(**counts))
    else:
        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            counted = pool.map(_in_a_session_of_its_own, [partial(_scalar, sql) for sql in _COUNTS.values()])
            counts = dict(zip(_COUNTS, counted, strict=True))
            results = _flat(pool.map(_in_a_session_of_its_own, _plan(**counts)))
    return sorted(_assigned_rechecked(results), key=lambda result: ORDER.index(result.description))


def _flat(made: Iterable[CheckResult | list[CheckResult]]) -> list[CheckResult]:
    """The results of the calls of a plan: one each, or several from one that made more than one check."""
    return [result for one in made for result in (one if isinstance(one, list) else [one])]


def _assigned_rechecked(results: list[CheckResult]) -> list[CheckResult]:
    """The counting proof of "every assigned number has its line" stands on the two checks beside it: when one
    of them failed, the check is made again the long way, so that it is never reported kept wrongly."""
    by_description = {result.description: result for result in results}
    counted = by_description[ASSIGNED_HAVE_LINES]
    if all(by_description[name].ok for name in _PROOF_OF_ASSIGNED) or not counted.ok:
        return results
    with _tuned():
        again = _count_and_examples(1, ASSIGNED_HAVE_LINES, counted.checked, _ASSIGNED_WITHOUT_LINE)
    return [again if result is counted else result for result in results]


@contextmanager
def _tuned() -> Iterator[None]:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL jit = off")
        yield


def _in_a_session_of_its_own(check: Callable[[], T]) -> T:
    try:
        with _tuned():
            return check()
    finally:
        connection.close()  # this thread's connection


_COUNTS = {  # the rows each check reads, for its report (counted in the sessions too)
    "lines": "SELECT COUNT(*) FROM {line}",
    "numbers": "SELECT COUNT(*) FROM {number}",
    "free": "SELECT COUNT(*) FROM {number} WHERE status = 'free'",
    "applications": "SELECT COUNT(*) FROM {app}",
    "customers": "SELECT COUNT(*) FROM {customer}",
}


def _plan(
    *, lines: int, numbers: int, free: int, applications: int, customers: int
) -> list[Callable[[], CheckResult | list[CheckResult]]]:
    """The checks, slowest first (so two sessions finish together), as calls to make."""
    check = partial
    return [
        partial(_check_lines, applications=applications, lines=lines),
        *_free_number_checks(lines=lines, free=free),
        *_reissue_checks(lines=lines, free=free),
        check(_check_one_live_holder, lines),
        check(
            _count_and_examples,
            2,
            "no customer has added more than its limit, and its counter matches its applications",
            customers,
            "SELECT c.id, c.numbers_added, c.addition_limit, COALESCE(a.total, 0) FROM {customer} c "
            "LEFT JOIN (SELECT customer_id, SUM(count) AS total FROM {app} GROUP BY customer_id) a "
            "ON a.customer_id = c.id "
            "WHERE c.numbers_added > c.addition_limit OR c.numbers_added <> COALESCE(a.total, 0)",
        ),
        partial(_check_pool_tally, numbers),
        partial(_check_issue_count, applications),
        check(
            _count_and_examples,
            3,
            "every application has its service-start letter",
            applications,
            "SELECT a.application_number FROM {app} a WHERE NOT EXISTS "
            "(SELECT 1 FROM {letter} t WHERE t.application_id = a.id)",
        ),
    ]


ORDER = [
    "no number has two holders not cancelled",
    "every assigned number has exactly its holder's line",
    "no free number has a holder not cancelled",
    "no customer has added more than its limit, and its counter matches its applications",
    "every application has exactly its count of lines, all of its customer",
    "every line keeps both passwords until they are destroyed",
    "every application has its service-start letter",
    "no number was issued again before its quarantine ended",
    "every cancelled number in the pool waits until its quarantine ends",
    "the pool tally counts what the numbers table holds",
    ISSUE_COUNT,
]
"""The order the checks are reported in: by invariant (they run slowest first)."""


ASSIGNED_HAVE_LINES = "every assigned number has exactly its holder's line"
_PROOF_OF_ASSIGNED = (ONE_LIVE_HOLDER, FREE_WITH_HOLDER)
_ASSIGNED_WITHOUT_LINE = (
    "SELECT p.number FROM {number} p WHERE p.status = 'assigned' AND NOT EXISTS "
    "(SELECT 1 FROM {line} l WHERE l.number = p.number AND l.cancellation_id IS NULL)"
)


WHOLE_APPLICATIONS = "every application has exactly its count of lines, all of its customer"
_NOT_WHOLE = (
    "SELECT a.application_number, a.count, COALESCE(l.n, 0), a.customer_id, l.lo, l.hi FROM {app} a "
    "LEFT JOIN (SELECT application_id, COUNT(*) AS n, MIN(customer_id) AS lo, MAX(customer_id) AS hi "
    "FROM {line} GROUP BY application_id) l ON l.application_id = a.id "
    "WHERE COALESCE(l.n, 0) <> a.count OR l.lo <> a.customer_id OR l.hi <> a.customer_id"
)
SECRETS_KEPT = "every line keeps both passwords until they are destroyed"
_BARE_LINES = (
    "SELECT number FROM {line} WHERE secrets_destroyed_at IS NULL "
    "AND (service_pin_encrypted = '' OR sip_password_encrypted = '')"
)


def _check_lines(*, applications: int, lines: int) -> list[CheckResult]:
    """Invariant 3, both checks that read every line, in one pass over them: per application its lines'
    count and their lowest and highest customer (all of the application's), and the lines missing a password
    before it was destroyed. The examples are read only for a check that failed."""
    started = time.monotonic()
    [(not_whole, without)] = _rows(
        "SELECT COUNT(*) FILTER (WHERE COALESCE(l.n, 0) <> a.count OR l.lo <> a.customer_id OR l.hi <> "
        "a.customer_id), COALESCE(SUM(l.bare), 0) FROM {app} a LEFT JOIN (SELECT application_id, COUNT(*) AS n, "
        "MIN(customer_id) AS lo, MAX(customer_id) AS hi, SUM(CASE WHEN secrets_destroyed_at IS NULL AND "
        "(service_pin_encrypted = '' OR sip_password_encrypted = '') THEN 1 ELSE 0 END) AS bare FROM {line} "
        "GROUP BY application_id) l ON l.application_id = a.id"
    )
    whole = CheckResult(3, WHOLE_APPLICATIONS, applications, int(not_whole))
    kept = CheckResult(3, SECRETS_KEPT, lines, int(without))
    if whole.violations:
        whole.examples = [" ".join(str(c) for c in row) for row in _rows(_NOT_WHOLE)]
    if kept.violations:
        kept.examples = [" ".join(str(c) for c in row) for row in _rows(_BARE_LINES)]
    whole.seconds = kept.seconds = time.monotonic() - started
    return [whole, kept]


TWO_LIVE_HOLDERS = (
    "SELECT number, COUNT(*) FROM {line} WHERE cancellation_id IS NULL GROUP BY number HAVING COUNT(*) > 1"
)
ONE_LIVE_HOLDER_INDEX = "USING btree (number) WHERE (cancellation_id IS NULL)"
"""How PostgreSQL writes the lines' unique index of numbers not cancelled (``line_one_holder_per_number``)."""


def _check_one_live_holder(lines: int) -> CheckResult:
    """Invariant 1: no number has two lines not cancelled. On PostgreSQL the lines' unique index of numbers
    not cancelled refuses a second one as it is written: while that index is there, valid and in use, it has
    checked every line, and grouping the seven million live lines again (1.7 s at ten million numbers) proves
    nothing more. Without it (dropped, or left invalid by a failed build) the lines are grouped as before."""
    started = time.monotonic()
    if connection.vendor == "postgresql":
        definitions = _rows(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
            "AND i.indisunique AND i.indisvalid AND i.indisready AND i.indislive",
            [IssuedLine._meta.db_table],
            limit=100,
        )
        if any(definition.endswith(ONE_LIVE_HOLDER_INDEX) for (definition,) in definitions):
            return CheckResult(1, ONE_LIVE_HOLDER, lines, seconds=time.monotonic() - started)
    return _count_and_examples(1, ONE_LIVE_HOLDER, lines, TWO_LIVE_HOLDERS)


def _check_pool_tally(numbers: int) -> list[CheckResult]:
    """Invariant 9: the pool tally's sums (held; free from each day) are the numbers table's counts. And
    invariant 1 by counting, from the same read: no number has two live lines (its own check), every live
    line's number is assigned (its own check), so the live lines map one to one into the assigned numbers, and
    as many of each means every assigned number has its line. Counts along indexes instead of joining ten
    million numbers to nine million lines; the join runs only when the counts differ (for the examples), and
    again when one of those two checks failed (``invariants_check``)."""
    started = time.monotonic()
    # One statement: the tally, the numbers and the live lines read in one snapshot, however busy the pool is
    # meanwhile. The free numbers counted by day along their partial index, the held ones apart (the table
    # allows no other status); the held row always comes back, for its count of live lines.
    rows = list(
        _stream(
            "SELECT day, SUM(tallied), SUM(counted), SUM(live) FROM (SELECT available_from AS day, numbers AS "
            "tallied, 0 AS counted, 0 AS live FROM {tally} UNION ALL SELECT available_from, 0, COUNT(*), 0 FROM "
            "{number} WHERE status = 'free' GROUP BY available_from UNION ALL SELECT NULL, 0, COUNT(*), 0 FROM "
            "{number} WHERE status = 'assigned' UNION ALL SELECT NULL, 0, 0, COUNT(*) FROM {line} WHERE "
            "cancellation_id IS NULL) x GROUP BY day HAVING SUM(tallied) <> SUM(counted) OR day IS NULL"
        )
    )
    [(_held, _tallied, assigned, live)] = [row for row in rows if row[0] is None] or [(None, 0, 0, 0)]
    wrong = [(day, tallied, counted) for day, tallied, counted, _live in rows if (tallied or 0) != (counted or 0)]
    result = CheckResult(9, "the pool tally counts what the numbers table holds", numbers)
    result.violations = len(wrong)
    result.examples = [
        f"{'held' if day is None else _as_date(day)}: tally {tallied}, numbers {counted}"
        for day, tallied, counted in sorted(wrong, key=lambda row: (row[0] is not None, str(row[0])))[:EXAMPLES]
    ]
    result.seconds = time.monotonic() - started
    if (live or 0) == (assigned or 0):
        assigned_result = CheckResult(1, ASSIGNED_HAVE_LINES, numbers, seconds=result.seconds)
    else:
        assigned_result = _count_and_examples(1, ASSIGNED_HAVE_LINES, numbers, _ASSIGNED_WITHOUT_LINE)
    return [result, assigned_result]


def _check_issue_count(applications: int) -> CheckResult:
    """Invariant 9 for the dashboard's numbers added by week: each day's count (``IssueCount``) is the sum of
    the applications placed that day in the carrier's time zone."""
    started = time.monotonic()
    if connection.vendor == "postgresql":
        # One statement, one snapshot: the counts and the applications (their covering index of placed_at).
        rows = list(
            _stream_with(
                "SELECT day, SUM(tallied), SUM(counted) FROM (SELECT day, numbers AS tallied, 0 AS counted FROM "
                "{issued} UNION ALL SELECT (placed_at AT TIME ZONE %s)::date, 0, count FROM {app}) x "
                "GROUP BY day HAVING SUM(tallied) <> SUM(counted)",
                [settings.TIME_ZONE],
            )
        )
    else:
        sums: dict[dt.date, list[int]] = {}
        for day, n in _stream("SELECT day, numbers FROM {issued}"):
            sums.setdefault(_as_date(day), [0, 0])[0] += n
        for placed_at, n in _stream("SELECT placed_at, count FROM {app}"):
            sums.setdefault(_as_date(placed_at), [0, 0])[1] += n
        rows = [(day, tallied, counted) for day, (tallied, counted) in sums.items() if tallied != counted]
    result = CheckResult(9, ISSUE_COUNT, applications)
    result.violations = len(rows)
    result.examples = [
        f"{_as_date(day)}: counted {tallied}, applications {counted}"
        for day, tallied, counted in sorted(rows, key=lambda row: str(row[0]))[:EXAMPLES]
    ]
    result.seconds = time.monotonic() - started
    return result


_FREE_WITH_HOLDER = (
    "SELECT p.number FROM {number} p JOIN {line} l ON l.number = p.number "
    # 'free' (the only other status the table allows) lets the free numbers' partial index serve.
    "WHERE l.cancellation_id IS NULL AND p.status = 'free'"
)
WAITS = "every cancelled number in the pool waits until its quarantine ends"
# Each cancelled line of a free number, not the latest per number: the same answer (a day after every
# cancellation's quarantine is after the latest's) without grouping millions of lines. PostgreSQL adds calendar
# months the way clock.add_months does (clamped to the month's end).
_RETURNED_EARLY = (
    "SELECT p.number, p.available_from, l.cancelled_on FROM {line} l JOIN {number} p "
    "ON p.number = l.number WHERE l.cancelled_on IS NOT NULL AND p.status = 'free' "
    "AND p.available_from < (l.cancelled_on + make_interval(months => %s))::date"
)


def _free_number_checks(*, lines: int, free: int) -> list[Callable[[], CheckResult | list[CheckResult]]]:
    """Invariant 1 (no free number has a live line) and invariant 5 (a free number's cancelled lines ended
    their quarantine before its day): on PostgreSQL both are read in one join of the free numbers to their
    lines, which builds the free numbers' table once for both (two joins: 5.8 s of work at ten million
    numbers)."""
    if connection.vendor != "postgresql":
        return [partial(_count_and_examples, 1, FREE_WITH_HOLDER, lines, _FREE_WITH_HOLDER)]
    return [partial(_check_free_numbers, lines=lines, free=free)]


def _check_free_numbers(*, lines: int, free: int) -> list[CheckResult]:
    started = time.monotonic()
    months = settings.SELFCARE_QUARANTINE_MONTHS
    [(held, early)] = _rows(
        "SELECT COUNT(*) FILTER (WHERE l.cancellation_id IS NULL), COUNT(*) FILTER (WHERE l.cancelled_on IS "
        "NOT NULL AND p.available_from < (l.cancelled_on + make_interval(months => %s))::date) "
        "FROM {line} l JOIN {number} p ON p.number = l.number WHERE p.status = 'free'",
        [months],
    )
    found = CheckResult(1, FREE_WITH_HOLDER, lines, held)
    returned = CheckResult(5, WAITS, free, early)
    if held:
        found.examples = [" ".join(str(c) for c in row) for row in _rows(_FREE_WITH_HOLDER)]
    if early:
        returned.examples = [" ".join(str(c) for c in row) for row in _rows(_RETURNED_EARLY, [months])]
    found.seconds = returned.seconds = time.monotonic() - started
    return [found, returned]


def _reissue_checks(*, lines: int, free: int) -> list[Callable[[], CheckResult]]:
    """Invariant 5 (and 1 over time): a number's holders never overlap, quarantine included."""
    months = settings.SELFCARE_QUARANTINE_MONTHS
    if connection.vendor != "postgresql":
        return [_check_reissues_streamed, _check_pool_streamed]
    # The free numbers' cancelled lines: _check_free_numbers.
    return [
        partial(
            _count_and_examples,
            5,
            "no number was issued again before its quarantine ended",
            lines,  # every line is read (grouping them by number a second time to count the reissued was 1 s)
            "SELECT number, issued_at, previous_cancelled_on FROM (SELECT number, issued_at, "
            "LAG(cancelled_on) OVER w AS previous_cancelled_on, LAG(id) OVER w AS previous_id FROM {line} "
            "WHERE number IN (SELECT number FROM {line} GROUP BY number HAVING COUNT(*) > 1) "
            "WINDOW w AS (PARTITION BY number ORDER BY issued_at, id)) s WHERE previous_id IS NOT NULL AND "
            "(previous_cancelled_on IS NULL OR (issued_at AT TIME ZONE %s)::date < "
            "(previous_cancelled_on + make_interval(months => %s))::date)",
            [settings.TIME_ZONE, months],
        ),
    ]


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
