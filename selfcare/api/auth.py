"""``Authorization: Bearer KEY``: the key's customer, its scope for the operation, and the rate limits.

Both limits count in the shared cache (Redis in production), so every app server counts alike:
requests per key per minute (``SELFCARE_API_RATE_PER_MINUTE``), and requests with a wrong key per
client address in 15 minutes (``SELFCARE_API_AUTH_FAILURES_PER_15_MINUTES``), so no one guesses
keys at the API's speed.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from selfcare.accounts.requesters import client_network
from selfcare.core.cache import count_in_window
from selfcare.integrations.errors import (
    ApiKeyExpired,
    ApiKeyInvalid,
    ApiKeyRevoked,
    ScopeMissing,
    TooManyFailures,
    TooManyRequests,
)
from selfcare.integrations.keys import KeyUse, api_key_authenticate

RATE_WINDOW = 60
FAILURE_WINDOW = 15 * 60


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _window(seconds: int) -> tuple[int, int]:
    """The current fixed window's number and the seconds left in it."""
    now = int(time.time())
    return now // seconds, seconds - now % seconds


class ApiKeyAuth(HttpBearer):
    """Authenticates the key and checks it holds ``scope``; ``request.auth`` is then the KeyUse."""

    openapi_description = "An API key made on the portal (API keys page): `Authorization: Bearer sk_…`."

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Any:
        use = super().__call__(request)
        if use is None:  # no Bearer header at all
            raise ApiKeyInvalid()
        return use

    def authenticate(self, request: HttpRequest, token: str) -> KeyUse:
        ip = client_ip(request)
        failures_key, failures_left = self._failures(ip)
        throttled = (cache.get(failures_key) or 0) >= settings.SELFCARE_API_AUTH_FAILURES_PER_15_MINUTES
        try:
            use = api_key_authenticate(key=token, ip=ip)
        except (ApiKeyInvalid, ApiKeyRevoked, ApiKeyExpired):
            count_in_window(failures_key, seconds=failures_left + 1)
            if throttled:  # an address sending wrong keys: told to wait, whatever this one was
                raise TooManyFailures(retry_after=failures_left) from None
            raise
        # A right key is served even from an address others behind it have filled with wrong keys (a shared
        # NAT): the keys are random 256-bit secrets, so the failure count is there to slow noise, not guessing.
        window, left = _window(RATE_WINDOW)
        if (
            count_in_window(f"api-rate:{use.api_key.prefix}:{window}", seconds=left + 1)
            > settings.SELFCARE_API_RATE_PER_MINUTE
        ):
            raise TooManyRequests(retry_after=left)
        if self.scope not in use.api_key.scopes:
            raise ScopeMissing(scope=self.scope)
        return use

    @staticmethod
    def _failures(ip: str | None) -> tuple[str, int]:
        window, left = _window(FAILURE_WINDOW)
        return f"api-auth-failures:{client_network(ip)}:{window}", left
