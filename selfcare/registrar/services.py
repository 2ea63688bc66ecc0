"""Keeping the running registrar in step: registrations of cancelled numbers and of replaced passwords go.

The database alone already refuses them at the next REGISTER (the subscriber view); what only
the registrar can do is forget a phone that registered before, which otherwise stays reachable
until its registration expires (at most max_expires, an hour by default).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction

from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.orders.models import IssuedLine
from selfcare.registrar import control
from selfcare.registrar.control import RegistrarUnreachable
from selfcare.registrar.errors import RegistrarNotConfigured

logger = logging.getLogger(__name__)


def cancelled_registrations_drop(*, actor: Actor, numbers: list[str] | None = None) -> list[str]:
    """Drop the registrations of every number whose cancellation has taken effect, then forget its digests.

    Lines cancelled on or before today that still keep digests are taken (only ``numbers`` when
    given). Each one's registrations are removed with ``ul.rm``, unless the number has since been
    issued to someone else (the registrations are then the new holder's). Then, in one
    transaction, the digests of the lines dropped are cleared and one audit entry per cancellation
    form is written. Returns the numbers handled; running it again finds nothing left to do.

    When the registrar cannot be reached, the lines dropped so far are still recorded and
    RegistrarUnreachable is raised: the rest keep their digests and are tried again next run.
    Raises RegistrarNotConfigured when SELFCARE_REGISTRAR_CTL is not set.
    """
    if not control.control_configured():
        raise RegistrarNotConfigured()
    today = clock.today()
    due = IssuedLine.objects.filter(cancelled_on__lte=today, sip_ha1__isnull=False)
    if numbers is not None:
        due = due.filter(number_id__in=numbers)
    lines = list(due.order_by("number_id", "pk").only("pk", "number_id", "customer_id", "cancellation_id"))
    dropped: list[IssuedLine] = []
    failure: RegistrarUnreachable | None = None
    for line in lines:
        reissued = IssuedLine.objects.live().filter(number_id=line.number_id).exclude(pk=line.pk).exists()
        if not reissued:
            try:
                control.registrations_drop(number=line.number_id)
            except RegistrarUnreachable as exc:
                failure = exc
                break
        dropped.append(line)
    if dropped:
        _forget_digests(lines=dropped, today=today, actor=actor)
    if failure is not None:
        raise failure
    return [line.number_id for line in dropped]


def _forget_digests(*, lines: list[IssuedLine], today: dt.date, actor: Actor) -> None:
    with transaction.atomic(durable=True):
        # Conditional: a cancellation never moves back, so what was due stays due.
        IssuedLine.objects.filter(
            pk__in=[line.pk for line in lines], cancelled_on__lte=today, sip_ha1__isnull=False
        ).update(sip_ha1=None, sip_ha1b=None)
        by_cancellation: dict[int | None, list[IssuedLine]] = defaultdict(list)
        for line in lines:
            by_cancellation[line.cancellation_id].append(line)
        for cancellation_id, cancelled in by_cancellation.items():
            audit_record(
                actor=actor,
                action="registrar.registrations_dropped",
                customer_id=cancelled[0].customer_id,
                target=f"cancellation:{cancellation_id}",
                detail={"numbers": [line.number_id for line in cancelled]},
            )
    logger.info("Dropped the registrations and forgot the digests of %d cancelled lines", len(lines))
