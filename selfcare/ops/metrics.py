"""The application's Prometheus metrics and the one-line calls that move them (docs/metrics-and-logs.md).

Counters and histograms live in prometheus_client's default registry. Under gunicorn each worker is
its own process: with ``PROMETHEUS_MULTIPROC_DIR`` set (in the environment, before the app starts)
prometheus_client writes every value to files in that directory and ``/metrics`` sums the files of
every worker of the host, dead ones included, so a counter never goes back when a worker is replaced.
Without it (runserver, tests, a management command) the values are the process's own.

Every label value is bounded: view names, error codes, step names and commands the code defines,
never what a user typed. ``label()`` turns anything that does not look like one into ``other``.
"""

from __future__ import annotations

import re

from prometheus_client import Counter, Histogram

_LABEL = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def label(value: object) -> str:
    text = str(value)
    return text if _LABEL.fullmatch(text) else "other"


def method_label(method: str | None) -> str:
    return method if method in _METHODS else "other"


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


REQUEST_SECONDS = Histogram(
    "selfcare_http_request_duration_seconds",
    "Time from the request reaching the app to its response, per view.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
RESPONSES = Counter(
    "selfcare_http_responses",
    "Responses per view, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["view", "method", "status"],
)
APPLICATIONS_PLACED = Counter("selfcare_applications_placed", "Applications placed (numbers_add that issued numbers).")
NUMBERS_ISSUED = Counter("selfcare_numbers_issued", "050 numbers issued by placed applications.")
APPLICATIONS_REFUSED = Counter(
    "selfcare_applications_refused",
    "Applications refused, by the refusal's code (limit_reached, pool_short, busy, ...).",
    ["reason"],
)
LOGIN_FAILURES = Counter(
    "selfcare_login_failures",
    "Failed login steps, by step (password, code, current_password, staff_password, throttle) and reason.",
    ["step", "reason"],
)
REGISTRAR_CALLS = Counter(
    "selfcare_registrar_calls",
    "Commands sent to the SIP registrar's control socket (kamcmd), by command and outcome (ok, error, unreachable).",
    ["command", "outcome"],
)
# Every command's outcomes exist from the start at 0: increase() misses the first failure of a series born after it.
for _command in ("ul.rm", "ul.lookup"):
    for _outcome in ("ok", "refused", "unreachable"):
        REGISTRAR_CALLS.labels(command=_command, outcome=_outcome)
REGISTRAR_SECONDS = Histogram(
    "selfcare_registrar_call_duration_seconds",
    "Time a kamcmd command took, answered or not.",
    ["command"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOBS_RUN = Counter(
    "selfcare_jobs_run",
    "Job attempts a worker finished, by task and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)
JOB_SECONDS = Histogram(
    "selfcare_job_duration_seconds",
    "Time one attempt of a job took, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)


def request_observed(*, view: str, method: str, status: int, seconds: float) -> None:
    view, method = label(view), method_label(method)
    REQUEST_SECONDS.labels(view=view, method=method).observe(seconds)
    RESPONSES.labels(view=view, method=method, status=status_class(status)).inc()


def application_placed(*, count: int) -> None:
    APPLICATIONS_PLACED.inc()
    NUMBERS_ISSUED.inc(count)


def application_refused(*, reason: str) -> None:
    APPLICATIONS_REFUSED.labels(reason=label(reason)).inc()


def login_failed(*, step: str, reason: str) -> None:
    LOGIN_FAILURES.labels(step=label(step), reason=label(reason)).inc()


def registrar_called(*, command: str, outcome: str, seconds: float) -> None:
    command = label(command)
    REGISTRAR_CALLS.labels(command=command, outcome=label(outcome)).inc()
    REGISTRAR_SECONDS.labels(command=command).observe(seconds)


def job_finished(*, task: str, outcome: str, seconds: float) -> None:
    """For the jobs worker: one attempt done (``outcome``: succeeded, failed for good, or retried later)."""
    task = label(task)
    JOBS_RUN.labels(task=task, outcome=label(outcome)).inc()
    JOB_SECONDS.labels(task=task).observe(seconds)


def login_refused(*, action: str, detail: dict[str, object]) -> None:
    """A refused password as the login audits it (``login.failed`` or ``staff.login_failed``, step and reason)."""
    step = str(detail.get("step", "unknown"))
    login_failed(step=f"staff_{step}" if action.startswith("staff.") else step, reason=str(detail.get("reason", "")))
