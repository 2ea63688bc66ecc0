"""The client's address behind the load balancer.

Behind nginx every request reaches gunicorn from the proxy's address, so the per-IP login
throttle would count every customer as one and the audit log would name the proxy. The proxy
appends the address it saw to ``X-Forwarded-For``; only the entries added by proxies listed
in ``SELFCARE_TRUSTED_PROXIES`` are believed, read from the right, so a client cannot choose
its own address by sending the header itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(values: list[str]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(value, strict=False) for value in values)
    except ValueError as error:
        raise ImproperlyConfigured(f"SELFCARE_TRUSTED_PROXIES: {error}") from error


def forwarded_client(remote_addr: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The first address, reading from the right, that is not a trusted proxy."""

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in trusted)

    client = remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",")] if forwarded_for else []
    while is_trusted(client) and hops:
        hop = hops.pop()
        try:
            client = str(ipaddress.ip_address(hop))
        except ValueError:
            break  # garbage in the header: keep the last address a trusted proxy vouched for
    return client


class ForwardedForMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = trusted_networks(list(getattr(settings, "SELFCARE_TRUSTED_PROXIES", [])))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.trusted:
            remote = request.META.get("REMOTE_ADDR", "")
            request.META["REMOTE_ADDR"] = forwarded_client(
                remote, request.META.get("HTTP_X_FORWARDED_FOR", ""), self.trusted
            )
        return self.get_response(request)
