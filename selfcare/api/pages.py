"""The human-readable pages beside the OpenAPI description: the problem codes (each problem's ``type`` points here)."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from selfcare.api.problems import OWN_MESSAGES, STATUS_OF
from selfcare.core.errors import DomainError

_PARAM = re.compile(r"%\((\w+)\)[ds]")


def _domain_errors() -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    pending = list(DomainError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.setdefault(cls.code, cls)
    return found


def problems_page(request: HttpRequest) -> HttpResponse:
    errors = _domain_errors()
    rows = []
    for code, status in STATUS_OF.items():
        message = OWN_MESSAGES.get(code) or (errors[code].message if code in errors else "")
        rows.append({"code": code, "status": status, "message": _PARAM.sub(r"{\1}", str(message))})
    return render(request, "api/problems.html", {"rows": rows})
