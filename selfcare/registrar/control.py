"""Talking to the running registrar: kamcmd over Kamailio's control socket (SELFCARE_REGISTRAR_CTL).

kamcmd exits 0 even when the command failed; it then prints ``error: <code> - <reason>``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from pathlib import Path

from django.conf import settings

from selfcare.ops import metrics

logger = logging.getLogger(__name__)

KAMCMD_TIMEOUT_SECONDS = 5
LOCATION_TABLE = "location"
NO_REGISTRATION = "AOR not found"  # usrloc's answer for a number with no registration


class RegistrarUnreachable(Exception):
    """kamcmd is missing, the socket does not answer, or Kamailio refused the command."""


def control_configured() -> bool:
    return bool(settings.SELFCARE_REGISTRAR_CTL)


def kamcmd(*args: str) -> str:
    """Run one kamcmd command on the configured control socket; returns what it printed.

    Each command sent is counted (selfcare_registrar_calls_total) as ``ok``, ``refused`` (Kamailio answered
    with an error other than "no such registration") or ``unreachable`` (no answer, or kamcmd failed).
    """
    address = settings.SELFCARE_REGISTRAR_CTL
    if not address:
        raise RegistrarUnreachable("SELFCARE_REGISTRAR_CTL is not set: there is no registrar to talk to.")
    started, outcome = time.monotonic(), "unreachable"
    try:
        output = _kamcmd(address, *args)
        outcome = "refused" if output.startswith("error:") and NO_REGISTRATION not in output else "ok"
        return output
    finally:
        metrics.registrar_called(command=args[0], outcome=outcome, seconds=time.monotonic() - started)


def _kamcmd(address: str, *args: str) -> str:
    program = settings.SELFCARE_KAMCMD
    if not Path(program).is_file():
        program = shutil.which("kamcmd") or program
    try:
        done = subprocess.run(  # noqa: S603 - no shell; the arguments are ours
            [program, "-s", address, *args],
            capture_output=True,
            text=True,
            timeout=KAMCMD_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RegistrarUnreachable(f"kamcmd {args[0]} on {address}: {exc}") from None
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise RegistrarUnreachable(f"kamcmd {args[0]} on {address} failed ({done.returncode}): {output[:300]}")
    return output


def _aor(number: str) -> str:
    # "s:" keeps kamcmd from reading 05012345678 as an integer.
    return f"s:{number}"


def registrations_drop(*, number: str) -> None:
    """Remove every live registration of ``number`` from the registrar's memory (ul.rm).

    A number with no registration is fine: there is nothing to drop.
    """
    output = kamcmd("ul.rm", LOCATION_TABLE, _aor(number))
    if output.startswith("error:") and NO_REGISTRATION not in output:
        raise RegistrarUnreachable(f"ul.rm {number}: {output[:300]}")
    logger.info("Dropped the registrations of %s", number)


def registrations_of(*, number: str) -> list[str]:
    """The contact addresses registered for ``number`` right now (ul.lookup)."""
    output = kamcmd("ul.lookup", LOCATION_TABLE, _aor(number))
    if output.startswith("error:"):
        if NO_REGISTRATION in output:
            return []
        raise RegistrarUnreachable(f"ul.lookup {number}: {output[:300]}")
    return [line.split(":", 1)[1].strip() for line in output.splitlines() if line.strip().startswith("Address:")]
