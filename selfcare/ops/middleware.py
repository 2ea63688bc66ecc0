"""The request id of each request, and its latency per view (first in MIDDLEWARE, both)."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from selfcare.core.middleware import trusted_networks
from selfcare.ops import metrics
from selfcare.ops.request_id import HEADER, META_KEY, request_id_bound

PEER_ADDR = "selfcare.peer_addr"
"""request.META key of the address the connection came from, kept before ForwardedForMiddleware rewrites REMOTE_ADDR."""

QUIET_VIEWS = frozenset({"healthz", "readyz", "metrics"})
"""Asked every few seconds by the load balancer and Prometheus: their access lines are DEBUG, not INFO."""

access_logger = logging.getLogger("selfcare.access")


class RequestIdMiddleware:
    """Binds the request's id for everything the request runs (logs, jobs it enqueues) and echoes it back.

    The id nginx sends in X-Request-ID is taken only from a trusted proxy (SELFCARE_TRUSTED_PROXIES) and only
    when it is a sane token; anything else gets a fresh one, so a client cannot write what it likes into
    the logs. Runs before ForwardedForMiddleware: it judges the address that really connected, and keeps it
    for the metrics view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = trusted_networks(list(getattr(settings, "SELFCARE_TRUSTED_PROXIES", [])))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        request.META[PEER_ADDR] = peer
        incoming = request.META.get(META_KEY) if self._is_proxy(peer) else None
        with request_id_bound(incoming) as request_id:
            request.request_id = request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        response[HEADER] = request_id
        return response

    def _is_proxy(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)


class RequestMetricsMiddleware:
    """Observes each response's latency and status per view, and writes one access line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "unresolved"
        metrics.request_observed(view=view, method=request.method or "", status=response.status_code, seconds=seconds)
        access_logger.log(
            logging.DEBUG if view in QUIET_VIEWS else logging.INFO,
            "%s %s %s %.1f ms",
            request.method,
            view,
            response.status_code,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": request.path,  # never the query string
                "view": view,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "client_ip": request.META.get("REMOTE_ADDR", ""),
            },
        )
        return response
