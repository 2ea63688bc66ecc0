"""/metrics for Prometheus (allowed addresses only) and /readyz/ for whatever routes traffic to this server."""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from selfcare.ops.collectors import DatabaseCollector
from selfcare.ops.middleware import PEER_ADDR

logger = logging.getLogger(__name__)

READY_STATEMENT_TIMEOUT_MS = 1000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _allowed(values: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(value, strict=False) for value in values)
    except ValueError as error:
        raise ImproperlyConfigured(f"SELFCARE_METRICS_ALLOWED: {error}") from error


def scrape_allowed(peer: str | None) -> bool:
    """True when the address that connected (not X-Forwarded-For's client) is in SELFCARE_METRICS_ALLOWED."""
    try:
        ip = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _allowed(tuple(settings.SELFCARE_METRICS_ALLOWED)))


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


class _ProcessRegistry(Collector):
    """The default registry's metrics, as one collector of the registry built for a scrape."""

    def collect(self):  # type: ignore[no-untyped-def]
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """This host's counters (every worker's, in multiprocess mode; this process's otherwise) and the database gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(DatabaseCollector())
    return registry


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    # Not found, rather than forbidden, for everyone else: nothing tells a stranger there is something here.
    if not scrape_allowed(request.META.get(PEER_ADDR)):
        raise Http404
    # The text format (0.0.4), or OpenMetrics when the scraper asks for it.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(scrape_registry()), content_type=content_type)


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """200 ``ok`` when the database and the cache answer; 503 naming the ones that did not (no detail, no trace)."""
    failed = [name for name, check in (("database", _database_answers), ("cache", _cache_answers)) if not check()]
    if failed:
        return HttpResponse(f"unavailable: {', '.join(failed)}", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _database_answers() -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{READY_STATEMENT_TIMEOUT_MS}ms"])
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("readyz: the database does not answer: %s", type(exc).__name__)
        return False
    return True


def _cache_answers() -> bool:
    value = secrets.token_hex(8)
    key = f"selfcare:readyz:{value}"  # its own key: two servers checking at once never read each other's
    try:
        cache.set(key, value, timeout=30)
        answered = cache.get(key) == value
        cache.delete(key)
    except Exception as exc:
        logger.warning("readyz: the cache does not answer: %s", type(exc).__name__)
        return False
    if not answered:
        logger.warning("readyz: the cache did not give back what was just stored")
    return answered
