"""Log records as JSON, one line per event, each carrying the request id (docs/metrics-and-logs.md).

``SELFCARE_LOG_FORMAT=json`` (the default of the production settings) writes every record as one JSON
object on one line: ``time`` (UTC, ISO 8601 to the millisecond), ``level``, ``logger``, ``message``,
``request_id`` and whatever the caller passed as ``extra`` (``view``, ``status``, ``duration_ms``, …).
A traceback is one field of the same line (``exc_info``), its newlines escaped.

Nothing here hides secrets that were logged: secrets are simply never logged (the SQL log that would carry
a digest among a query's parameters is held at INFO by the settings, and a test walks a whole customer
flow at DEBUG and looks for every password, code and digest in what was written). What the formatter does
drop are the places where a secret could ride along unasked: the request object Django attaches to its
records, and the ``DETAIL:`` lines PostgreSQL adds to a constraint violation, which quote the row's values.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from selfcare.ops.request_id import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Django attaches the request (django.request) or the socket server's handler (django.server) to its records.
_DROPPED = ("request", "server_time")
# PostgreSQL's "DETAIL:  Key (col)=(value) already exists." / "Failing row contains (...)".
_DETAIL_LINE = re.compile(r"^DETAIL:.*$", re.MULTILINE)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record passing the handler it is attached to: the bound one, or ``-``.

    Django logs a 4xx or 5xx response (django.request) after the middleware has returned, so outside the
    binding; such a record carries the request itself, and the request its id.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            carried = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = carried if isinstance(carried, str) else current_request_id() or "-"
        return True


class JsonFormatter(BaseJsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, *_DROPPED],
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        if log_data.get("request_id") is None:  # a handler without RequestIdFilter
            log_data["request_id"] = current_request_id() or "-"

    def formatException(self, ei: Any) -> str:  # type: ignore[override]
        return _DETAIL_LINE.sub("DETAIL: (withheld from the log)", logging.Formatter.formatException(self, ei))


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The settings' LOGGING: one console handler in the chosen format, Django's own records through it too.

    ``django.db.backends`` stays at INFO whatever ``level`` says: at DEBUG (with DEBUG on) it logs every
    query with its parameters, and those include the registrar's digests and encrypted passwords.
    ``django.template`` too: at DEBUG it writes whole template contexts.
    """
    if log_format not in {"json", "text"}:
        raise ValueError(f"SELFCARE_LOG_FORMAT must be json or text, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "selfcare.ops.logs.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "selfcare.ops.logs.JsonFormatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults give these their own handlers (plain text, DEBUG-only or not propagating):
            # through the root's handler instead, so they come out in the same format, with the request id.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"level": "INFO"},
            # At DEBUG it logs every variable a template could not resolve with the whole context's repr:
            # the CSRF token, the form, and on the completion page the lines with their passwords.
            "django.template": {"level": "INFO"},
        },
    }
