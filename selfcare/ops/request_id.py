"""The request id: one token per request, carried from nginx through the app into the jobs it enqueues.

nginx makes one per request (``$request_id``) and passes it as ``X-Request-ID``; the app accepts it only
from a trusted proxy and only when it looks like a token, otherwise it makes its own. The id is bound to
the context of the code serving the request, every log record carries it (``logs.RequestIdFilter``), and
a job enqueued meanwhile stores it so the worker can bind it again while running the job::

    stored = current_request_id()          # at enqueue time, kept with the job
    with request_id_bound(stored or new_request_id()):
        run_the_job()                      # in the worker: its log lines carry the request's id
"""

from __future__ import annotations

import contextvars
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"

# nginx's $request_id is 32 hex digits; other proxies send UUIDs or base64url tokens. Anything else
# (too long, spaces, quotes, newlines) is not believed: it would end up in every log line.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("selfcare_request_id", default=None)


def new_request_id() -> str:
    """A fresh id, in the shape of nginx's own (32 hex digits)."""
    return secrets.token_hex(16)


def is_sane(value: str | None) -> bool:
    return bool(value) and _SANE.fullmatch(value or "") is not None


def current_request_id() -> str | None:
    """The id bound to the running request or job; None outside of both (a management command)."""
    return _request_id.get()


@contextmanager
def request_id_bound(value: str | None) -> Iterator[str]:
    """Bind ``value`` (a fresh id when it is missing or not a sane token) for the code inside; yields the id."""
    bound = value if value is not None and is_sane(value) else new_request_id()
    token = _request_id.set(bound)
    try:
        yield bound
    finally:
        _request_id.reset(token)
