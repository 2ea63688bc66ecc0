"""System checks for the registrar settings: they end up in SQL, in kamailio.cfg and in every digest."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import register as register_check

LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"(?=.{{1,64}}$){LABEL}(?:\.{LABEL})*")
# Quoted in digests, kamailio.cfg and SQL: printable ASCII without quotes or backslashes.
REALM = re.compile(r"[A-Za-z0-9 .:_@-]{1,64}")
ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
CTL = re.compile(r"(?:unixs:|unixd:|unix:)/[^\s\"']+|(?:tcp|udp):[A-Za-z0-9.-]+(?::\d+)?")


def registrar_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not HOSTNAME.fullmatch(settings.SELFCARE_SIP_DOMAIN):
        errors.append(Error("SELFCARE_SIP_DOMAIN must be a host name such as sip.example.jp.", id="registrar.E001"))
    if not REALM.fullmatch(settings.SELFCARE_SIP_REALM):
        errors.append(
            Error(
                "SELFCARE_SIP_REALM must be 1 to 64 characters of letters, digits, space and . : _ @ -.",
                id="registrar.E002",
            )
        )
    if not ROLE.fullmatch(settings.SELFCARE_REGISTRAR_DB_ROLE):
        errors.append(Error("SELFCARE_REGISTRAR_DB_ROLE must be a lower-case SQL identifier.", id="registrar.E003"))
    if settings.SELFCARE_REGISTRAR_CTL and not CTL.fullmatch(settings.SELFCARE_REGISTRAR_CTL):
        errors.append(
            Error(
                "SELFCARE_REGISTRAR_CTL must be a kamcmd address such as unixs:/run/kamailio/kamailio_ctl.",
                id="registrar.E004",
            )
        )
    return errors


def register() -> None:
    register_check(registrar_settings_check)
