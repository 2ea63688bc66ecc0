"""Who is asking, as the login throttle and the audit log name them: a client's network, a typed ID."""

from __future__ import annotations

import ipaddress

from django.utils.crypto import salted_hmac

__all__ = ["client_network", "typed_id_label"]


def client_network(ip: str | None) -> str:
    """The unit the throttle counts: an IPv4 address, or the /64 an IPv6 address belongs to.

    One IPv6 subscriber holds a whole /64 (and can use any address in it), so counting single
    addresses would give each client billions of allowances.
    """
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def typed_id_label(typed: str) -> str:
    """How an ID that matches no account is recorded: a keyed digest, never the text itself.

    People type passwords into the ID field; the audit log and its CSV must not keep them. The
    digest still shows that attempts came with the same text.
    """
    digest = salted_hmac("selfcare.unknown-login-id", typed, algorithm="sha256").hexdigest()[:16]
    return f"?{digest}"
