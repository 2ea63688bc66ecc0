"""Which job is running in this thread (the worker binds it; effect keys and logs read it)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("selfcare_job_id", default=None)


def current_job_id() -> str | None:
    return _job_id.get()


@contextmanager
def job_bound(job_id: str) -> Iterator[None]:
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)
