"""The two passwords of an issued number, drawn with ``secrets``, and the digests a SIP registrar checks.

HA1 = md5(username:realm:password), and Kamailio's HA1B = md5(username@domain:realm:password) for
phones that send the domain in the username (RFC 2617 / 8760 with MD5). MD5 is what SIP digest
authentication uses; it is not our choice of hash, and these digests are never used as password
storage for people.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass

from django.conf import settings

from selfcare.accounts.services import UNAMBIGUOUS_ALPHABET

__all__ = ["UNAMBIGUOUS_ALPHABET", "SipDigests", "new_service_pin", "new_sip_password", "sip_digests"]


def new_service_pin() -> str:
    """付加サービスパスワード: a numeric PIN."""
    return "".join(secrets.choice(string.digits) for _ in range(settings.SELFCARE_SERVICE_PIN_LENGTH))


def new_sip_password() -> str:
    """IP加入電話パスワード: typed into a phone, so no look-alike characters (0/O, 1/l/I)."""
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(settings.SELFCARE_SIP_PASSWORD_LENGTH))


@dataclass(frozen=True)
class SipDigests:
    ha1: str
    ha1b: str

    def __repr__(self) -> str:  # a digest is a password equivalent: keep it out of tracebacks and logs
        return "SipDigests(<hidden>)"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def sip_digests(*, number: str, password: str) -> SipDigests:
    """The digests of ``password`` for ``number`` under the configured realm and domain."""
    realm = settings.SELFCARE_SIP_REALM
    domain = settings.SELFCARE_SIP_DOMAIN
    return SipDigests(
        ha1=_md5(f"{number}:{realm}:{password}"),
        ha1b=_md5(f"{number}@{domain}:{realm}:{password}"),
    )
