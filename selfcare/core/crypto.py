"""Encryption at rest for the credentials of issued numbers.

MultiFernet over ``settings.SELFCARE_ENCRYPTION_KEYS``: the first key encrypts,
every key decrypts, and ``rotate`` re-encrypts under the first key. Clear text
lives only in memory, for as long as a caller needs it.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "rotate"]


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SELFCARE_ENCRYPTION_KEYS is empty: credentials cannot be encrypted.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "SELFCARE_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from exc


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.SELFCARE_ENCRYPTION_KEYS))


def encrypt(clear: str) -> str:
    return cipher().encrypt(clear.encode()).decode("ascii")


def decrypt(token: str) -> str:
    return cipher().decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    return cipher().rotate(token.encode("ascii")).decode("ascii")
