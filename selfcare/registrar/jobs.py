"""The registrar's background jobs: phones registered with a replaced password or a cancelled number go.

Each is enqueued in the transaction of the change (a reissue, a cancellation in effect today) or,
for cancellations dated ahead, by the daily schedule. An unreachable registrar makes the attempt
fail; the worker tries again with backoff, and the database already refuses the old credentials
at the next REGISTER in the meantime.
"""

from __future__ import annotations

import logging
from typing import Any

from selfcare.audit.services import Actor, actor_from_json
from selfcare.jobs import job
from selfcare.registrar import control
from selfcare.registrar import services as registrar_services

logger = logging.getLogger(__name__)


@job(max_attempts=12, backoff_seconds=30, backoff_max_seconds=1800)
def registrations_drop(*, number: str) -> None:
    """After a password reissue: drop what registered with the old password (raises while unreachable)."""
    if not control.control_configured():
        logger.info("SELFCARE_REGISTRAR_CTL is not set: registrations of %s are left to expire", number)
        return
    control.registrations_drop(number=number)


@job(max_attempts=12, backoff_seconds=30, backoff_max_seconds=1800)
def cancelled_registrations_drop(*, numbers: list[str], actor: dict[str, Any]) -> list[str]:
    """After a cancellation in effect today: drop its numbers' registrations and forget their digests."""
    if not control.control_configured():
        return []
    return registrar_services.cancelled_registrations_drop(actor=actor_from_json(actor), numbers=numbers)


@job(max_attempts=6, backoff_seconds=300)
def registrar_drop_cancelled() -> list[str]:
    """Daily: every cancellation in effect by today whose lines still keep digests (those dated ahead included)."""
    if not control.control_configured():
        return []
    return registrar_services.cancelled_registrations_drop(actor=Actor.system("registrar_drop_cancelled"))
