"""Jobs for the tests of the job layer (importable by path, as the worker needs)."""

from __future__ import annotations

from selfcare.jobs import job

CALLS: list[str] = []
FAILURES_LEFT: dict[str, int] = {}


@job(max_attempts=5)
def remember(*, value: str) -> str:
    CALLS.append(value)
    return value


@job(max_attempts=3, backoff_seconds=10)
def flaky(*, name: str) -> None:
    CALLS.append(name)
    if FAILURES_LEFT.get(name, 0) > 0:
        FAILURES_LEFT[name] -= 1
        raise ConnectionRefusedError("the far end refused")


@job(max_attempts=1)
def request_id_seen() -> None:
    from selfcare.ops.request_id import current_request_id

    CALLS.append(str(current_request_id()))
