"""The NinjaAPI of ``/api/v1/``: its OpenAPI 3.1 description, its docs page, and one error handler per kind."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from selfcare.api.problems import MEDIA_TYPE, domain_problem, own_problem, server_problem
from selfcare.api.views import router
from selfcare.core.errors import DomainError
from selfcare.idempotency.errors import IdempotencyKeyInvalid, IdempotencyKeyMissing
from selfcare.idempotency.services import MAX_KEY
from selfcare.integrations.errors import ApiKeyInvalid
from selfcare.orders.errors import BadCount
from selfcare.orders.parsing import count_limits

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Add 050 numbers, read them and their applications, and reissue IP phone passwords, with the same
rules and guarantees as the customer portal. Authenticate with an API key made on the portal
(`Authorization: Bearer sk_…`). Every POST needs an `Idempotency-Key`. Errors are
`application/problem+json` (RFC 9457) with a stable `code`. See docs/api.md.
"""


class SelfcareApi(NinjaAPI):
    def create_response(self, request: HttpRequest, data: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().create_response(request, data, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # every answer is one customer's, some carry passwords
        return response

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        # Errors are problem details: say so for every error answer, whatever ninja's renderer says.
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status)[0] in "45" and "application/json" in content:
                        content[MEDIA_TYPE] = content.pop("application/json")
                # Answered by the HTTP server before the API sees the request (gunicorn's 4094-byte request
                # line, nginx's buffers): a plain HTML page, not a problem.
                operation.setdefault("responses", {})["414"] = {
                    "description": "URI too long: answered by the HTTP server in front of the API, as HTML.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
        return schema


api = SelfcareApi(
    title="050 self-care business API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/", router)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return domain_problem(request, exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return domain_problem(request, ApiKeyInvalid())


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [_error(e) for e in exc.errors][:20]
    if any(tuple(e.get("loc", ()))[:1] == ("header",) for e in exc.errors):
        missing = any(e.get("type") == "missing" for e in exc.errors if tuple(e.get("loc", ()))[:1] == ("header",))
        error: DomainError = IdempotencyKeyMissing() if missing else IdempotencyKeyInvalid(maximum=MAX_KEY)
        return domain_problem(request, error)
    if any(e.get("type") == "json_invalid" for e in exc.errors):
        return own_problem(request, "malformed_request")
    fields = [tuple(e.get("loc", ())) for e in exc.errors]
    if fields and all(loc[:1] == ("body",) and loc[-1:] == ("count",) for loc in fields):
        return domain_problem(request, BadCount(minimum=count_limits()[0], maximum=count_limits()[1]))
    return own_problem(request, "invalid_request", errors=errors)


def _error(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error without the value that was sent (it may be anything, a secret included)."""
    return {
        "loc": [str(part) for part in error.get("loc", ())],
        "type": str(error.get("type", "")),
        "msg": str(error.get("msg", ""))[:200],
    }


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return own_problem(request, "not_found")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "malformed_request")
    return own_problem(request, code)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return own_problem(request, "request_too_large")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request failed: %s %s", request.method, request.path)
    return server_problem(request)
