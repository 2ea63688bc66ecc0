"""Sending a webhook without letting a customer's URL reach inside the carrier's network (SSRF).

The host is resolved at registration and again at every delivery (a name may be pointed at an
inside address after it was checked: DNS rebinding); every address it resolves to must be a
public one, and the connection goes to the address that was checked, never to a second lookup.
HTTPS only, no redirect followed, short timeouts, at most a few KiB of the answer read.
``SELFCARE_WEBHOOK_ALLOW_PRIVATE`` (tests and demos only) admits http and loopback or private
addresses.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from selfcare.integrations.errors import WebhookUrlRefused

MAX_URL = 500
READ_AT_MOST = 4096

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


# IPv6 ranges Python's ipaddress still calls global but no public endpoint lives in: the deprecated
# site-local block, the 2024 documentation block (RFC 9637) and local-use NAT64 (RFC 8215).
_NOT_PUBLIC_V6 = tuple(ipaddress.ip_network(n) for n in ("fec0::/10", "3fff::/20", "64:ff9b:1::/48"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_allowed(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 (mapped, 6to4, NAT64) is judged as that IPv4 address.
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:
            return address_allowed(address.sixtofour)
        elif address in _NAT64:
            return address_allowed(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        elif address.is_site_local or any(address in network for network in _NOT_PUBLIC_V6):
            return False
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return False
    if address.is_global:
        return True
    return bool(settings.SELFCARE_WEBHOOK_ALLOW_PRIVATE) and (
        address.is_loopback or address.is_private or address.is_link_local
    )


def target_check(url: str) -> Target:
    """Parse and resolve an endpoint URL; WebhookUrlRefused (with the reason) unless it may be called."""
    allow_private = bool(settings.SELFCARE_WEBHOOK_ALLOW_PRIVATE)
    if not url or len(url) > MAX_URL or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise WebhookUrlRefused(
            reason=_("enter an https:// address of at most %(maximum)d characters.") % {"maximum": MAX_URL}
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlRefused(reason=_("it is not a valid URL.")) from None
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        raise WebhookUrlRefused(reason=_("only https:// addresses are accepted."))
    if parts.username is not None or parts.password is not None or not parts.hostname:
        raise WebhookUrlRefused(reason=_("give a host name, without a user name or password."))
    if parts.fragment:
        raise WebhookUrlRefused(reason=_("an address with a fragment (#) is not accepted."))
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookUrlRefused(reason=_("the host name does not resolve.")) from None
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise WebhookUrlRefused(reason=_("the host name does not resolve."))
    for address in addresses:
        if not address_allowed(ipaddress.ip_address(address)):
            raise WebhookUrlRefused(
                reason=_("it leads to a private, loopback, link-local or reserved address (%(address)s).")
                % {"address": address}
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, addresses=addresses)


@dataclass(frozen=True)
class Reply:
    status: int | None
    outcome: str
    """delivered, http_status, timeout, connection_failed, refused_address, tls_failed."""
    error: str
    duration_ms: int


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the address that was checked, and checks the certificate against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Reply:
    """POST once; never raises for the endpoint's failures (they are the Reply)."""
    started = time.monotonic()

    def reply(status: int | None, outcome: str, error: str = "") -> Reply:
        return Reply(status, outcome, error[:200], int((time.monotonic() - started) * 1000))

    try:
        target = target_check(url)
    except WebhookUrlRefused as refused:
        return reply(None, "refused_address", str(refused))
    timeout = float(settings.SELFCARE_WEBHOOK_TIMEOUT_SECONDS)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(
            target.host, target.port, target.addresses[0], timeout, ssl.create_default_context()
        )
    else:
        connection = _PinnedHTTPConnection(target.host, target.port, target.addresses[0], timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": "selfcare-webhooks/1"},
        )
        response = connection.getresponse()
        response.read(READ_AT_MOST)
        status = response.status
    except TimeoutError:
        return reply(None, "timeout", "no answer in time")
    except ssl.SSLError as exc:
        return reply(None, "tls_failed", type(exc).__name__)
    except (OSError, http.client.HTTPException) as exc:
        return reply(None, "connection_failed", type(exc).__name__)
    finally:
        connection.close()
    if 200 <= status < 300:
        return reply(status, "delivered")
    return reply(status, "http_status", f"HTTP {status}")
