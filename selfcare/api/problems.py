"""Errors as RFC 9457 problem details (``application/problem+json``), with the domain error's stable ``code``.

``detail`` is the domain error's own message, in Japanese or English by ``Accept-Language``
(LocaleMiddleware has chosen the language). Integer parameters of the error (``remaining``,
``available``, ``limit``, ``requested``, …) are extension members beside it.
"""

from __future__ import annotations

import http
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from selfcare.core.errors import DomainError

MEDIA_TYPE = "application/problem+json"

# The HTTP status of each domain error's code; any other domain error is 422.
STATUS_OF: dict[str, int] = {
    "bad_count": 422,
    "limit_reached": 409,
    "pool_short": 409,
    "customer_suspended": 403,
    "busy": 503,
    "line_not_found": 404,
    "line_not_live": 409,
    "number_not_found": 404,
    "application_not_found": 404,
    "idempotency_key_missing": 400,
    "idempotency_key_invalid": 400,
    "idempotency_key_reused": 422,
    "request_in_flight": 409,
    "api_key_invalid": 401,
    "api_key_revoked": 401,
    "api_key_expired": 401,
    "customer_inactive": 403,
    "address_not_allowed": 403,
    "insufficient_scope": 403,
    "rate_limited": 429,
    "too_many_failures": 429,
    "invalid_request": 422,
    "malformed_request": 400,
    "not_found": 404,
    "method_not_allowed": 405,
    "request_too_large": 413,
    "server_error": 500,
}

# Codes the API's own layer gives (the others are the domain's): their message, for the problems page.
OWN_MESSAGES = {
    "invalid_request": gettext_lazy("The request does not match the API's description; see 'errors'."),
    "malformed_request": gettext_lazy("The request body is not valid JSON."),
    "not_found": gettext_lazy("There is no such resource."),
    "method_not_allowed": gettext_lazy("This method is not allowed here."),
    "request_too_large": gettext_lazy("The request body is too large. Nothing was carried out."),
    "server_error": gettext_lazy(
        "Something went wrong on our side. Send the request again with the same Idempotency-Key: it is not "
        "carried out twice."
    ),
}

RETRY_AFTER = {"busy": 5, "request_in_flight": 2}


def problem(
    request: HttpRequest,
    *,
    code: str,
    detail: str,
    status: int | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    status = status or STATUS_OF.get(code, 422)
    body: dict[str, Any] = {
        "type": f"/api/v1/problems#{code}",
        "title": http.HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.path[:200],
        **(extra or {}),
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=MEDIA_TYPE)
    response["Content-Language"] = getattr(request, "LANGUAGE_CODE", "ja")
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    if code in RETRY_AFTER and "Retry-After" not in response:
        response["Retry-After"] = str(RETRY_AFTER[code])
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="selfcare", error="invalid_token"'
    return response


def domain_problem(request: HttpRequest, error: DomainError) -> HttpResponse:
    params = {k: v for k, v in error.params.items() if isinstance(v, int) and not isinstance(v, bool)}
    headers = {"Retry-After": str(params["retry_after"])} if "retry_after" in params else None
    return problem(request, code=error.code, detail=str(error), extra=params, headers=headers)


def own_problem(request: HttpRequest, code: str, **extra: Any) -> HttpResponse:
    return problem(request, code=code, detail=str(OWN_MESSAGES[code]), extra=extra)


def server_problem(request: HttpRequest) -> HttpResponse:
    return own_problem(request, "server_error")
