"""The two passwords of an issued number, drawn with ``secrets``."""

from __future__ import annotations

import secrets
import string

from django.conf import settings

from selfcare.accounts.services import UNAMBIGUOUS_ALPHABET

__all__ = ["UNAMBIGUOUS_ALPHABET", "new_service_pin", "new_sip_password"]


def new_service_pin() -> str:
    """付加サービスパスワード: a numeric PIN."""
    return "".join(secrets.choice(string.digits) for _ in range(settings.SELFCARE_SERVICE_PIN_LENGTH))


def new_sip_password() -> str:
    """IP加入電話パスワード: typed into a phone, so no look-alike characters (0/O, 1/l/I)."""
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(settings.SELFCARE_SIP_PASSWORD_LENGTH))
