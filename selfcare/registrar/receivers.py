"""The registrar's answer to what orders tells (``selfcare.orders.signals``): a drop job, queued in the
transaction of the change that made it necessary."""

from __future__ import annotations

from typing import Any

from selfcare.jobs import enqueue
from selfcare.registrar import jobs


def sip_password_replaced(*, number: str, **kwargs: Any) -> None:
    enqueue(jobs.registrations_drop, number=number)


def numbers_stopped_today(*, numbers: list[str], actor: dict[str, Any], **kwargs: Any) -> None:
    enqueue(jobs.cancelled_registrations_drop, numbers=numbers, actor=actor)
