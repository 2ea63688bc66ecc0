"""API keys: made, used and revoked (one service each, one transaction each, audited with the key's prefix).

A key reads ``sk_`` + 8 characters (its prefix, shown in lists and the audit log) + ``_`` + 40
random characters. Only the prefix and an HMAC-SHA256 of the whole key are stored; the HMAC's key
is derived from ``SELFCARE_API_KEY_SECRET`` (or the secret key), so a copy of the database alone
cannot test guesses. The key itself is shown once, when it is made.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
import string
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac

from selfcare.accounts.lock_objects import customer_lock
from selfcare.accounts.models import Customer
from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.integrations.errors import (
    AddressNotAllowed,
    ApiKeyExpired,
    ApiKeyInvalid,
    ApiKeyNameMissing,
    ApiKeyNotFound,
    ApiKeyRevoked,
    BadExpiry,
    BadNetwork,
    CustomerInactive,
    ScopesMissing,
    TooManyKeys,
)
from selfcare.integrations.models import SCOPES, ApiKey

_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
KEY_SHAPE = re.compile(r"(sk_[a-z0-9]{8})_[A-Za-z0-9]{40}")
MAX_NAME = 100
MAX_EXPIRY_DAYS = 3650
MAX_NETWORKS = 20
LAST_USED_EVERY = dt.timedelta(minutes=1)
_UNKNOWN_KEY_HASH = "0" * 64


def key_hash(key: str) -> str:
    secret = settings.SELFCARE_API_KEY_SECRET or settings.SECRET_KEY
    return salted_hmac("selfcare.api-key", key, secret=secret, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class KeyMade:
    api_key: ApiKey
    key: str
    """The key in clear: shown once, never stored."""


def scopes_check(scopes: list[str]) -> list[str]:
    chosen = [scope for scope in SCOPES if scope in set(scopes)]
    if not chosen or set(scopes) - set(SCOPES):
        raise ScopesMissing(scopes=", ".join(SCOPES))
    return chosen


def networks_parse(text: str | list[str]) -> list[str]:
    """Addresses or networks, one a line (or comma-separated); each written as ipaddress writes it."""
    items = text if isinstance(text, list) else re.split(r"[\s,]+", text)
    networks: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item[:50], strict=False)
        except ValueError:
            raise BadNetwork(value=item[:50]) from None
        if str(network) not in networks:
            networks.append(str(network))
    if len(networks) > MAX_NETWORKS:
        raise BadNetwork(value=networks[MAX_NETWORKS])
    return networks


def api_key_create(
    *,
    customer_id: int,
    name: str,
    scopes: list[str],
    actor: Actor,
    expires_days: int | None = None,
    allowed_networks: list[str] | None = None,
) -> KeyMade:
    """Make a key for a customer and return it in clear (once). Audited with its prefix, never the key.

    Raises ApiKeyNameMissing, ScopesMissing, BadExpiry, BadNetwork or TooManyKeys.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ApiKeyNameMissing(maximum=MAX_NAME)
    chosen = scopes_check(scopes)
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise BadExpiry(maximum=MAX_EXPIRY_DAYS)
    networks = networks_parse(allowed_networks or [])
    with transaction.atomic(durable=True):
        customer = customer_lock(customer_id=customer_id)
        in_use = ApiKey.objects.filter(customer=customer, revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=clock.now())
        )
        if in_use.count() >= settings.SELFCARE_API_KEYS_PER_CUSTOMER:
            raise TooManyKeys(maximum=settings.SELFCARE_API_KEYS_PER_CUSTOMER)
        now = clock.now()
        for _attempt in range(5):
            prefix = "sk_" + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
            key = f"{prefix}_" + "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
            try:
                with transaction.atomic():
                    api_key = ApiKey.objects.create(
                        customer=customer,
                        name=name,
                        prefix=prefix,
                        key_hash=key_hash(key),
                        scopes=chosen,
                        allowed_networks=networks,
                        expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
                        created_at=now,
                        created_by=actor.label[:150],
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - five clashes of 36**8 prefixes
            raise IntegrityError("no free API key prefix")
        audit_record(
            actor=actor,
            action="api_key.created",
            customer=customer,
            target=prefix,
            detail={
                "name": name,
                "scopes": chosen,
                "expires_at": api_key.expires_at.isoformat() if api_key.expires_at else None,
                "allowed_networks": networks,
            },
        )
    return KeyMade(api_key=api_key, key=key)


def api_key_revoke(*, key_id: int, actor: Actor, customer_id: int | None = None) -> ApiKey:
    """Revoke a key (a customer's own when ``customer_id`` is given). Revoking a revoked key changes nothing.

    Raises ApiKeyNotFound.
    """
    keys = ApiKey.objects.filter(pk=key_id)
    if customer_id is not None:
        keys = keys.filter(customer_id=customer_id)
    api_key = keys.select_related("customer").first()
    if api_key is None:
        raise ApiKeyNotFound()
    with transaction.atomic(durable=True):
        now = clock.now()
        revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor.label[:150]
        )
        if revoked:
            audit_record(
                actor=actor,
                action="api_key.revoked",
                customer_id=api_key.customer_id,
                target=api_key.prefix,
                detail={"name": api_key.name},
            )
    api_key.refresh_from_db()
    return api_key


@dataclass(frozen=True)
class KeyUse:
    api_key: ApiKey
    customer: Customer

    def actor(self, ip: str | None) -> Actor:
        """Who acts, for the audit log: the customer, through this key (its prefix, never the key)."""
        return Actor(
            kind="customer",
            label=f"{self.customer.selfcare_id} ({self.api_key.prefix})",
            user_id=self.customer.user_id,
            ip_address=ip,
        )


def api_key_authenticate(*, key: str, ip: str | None) -> KeyUse:
    """The key's customer, when the key is whole, in force and used from an allowed address.

    The hash is compared in constant time, and computed even for a prefix no key has, so the
    answer takes as long. Raises ApiKeyInvalid, ApiKeyRevoked, ApiKeyExpired, CustomerInactive
    or AddressNotAllowed.
    """
    match = KEY_SHAPE.fullmatch(key or "")
    api_key = (
        ApiKey.objects.select_related("customer__user", "customer__plan").filter(prefix=match.group(1)).first()
        if match
        else None
    )
    presented = key_hash(key[:200] if key else "")
    if not constant_time_compare(presented, api_key.key_hash if api_key is not None else _UNKNOWN_KEY_HASH):
        raise ApiKeyInvalid()
    assert api_key is not None
    now = clock.now()
    if api_key.revoked_at is not None:
        raise ApiKeyRevoked()
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise ApiKeyExpired(expired_at=api_key.expires_at.isoformat(timespec="seconds"))
    customer = api_key.customer
    if not customer.user.is_active:
        raise CustomerInactive()
    if api_key.allowed_networks and not _address_in(ip, api_key.allowed_networks):
        raise AddressNotAllowed(address=ip or "?")
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_EVERY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)  # at most a write a minute per key
    return KeyUse(api_key=api_key, customer=customer)


def _address_in(ip: str | None, networks: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(network) for network in networks)
