"""The purge: a posted secret is destroyed SELFCARE_SECRETS_RETENTION_DAYS after its letter was posted.

What is purged (rules.md, *secrets*): a line's two passwords once its service-start letter is that old
(a line whose IP phone password was reissued waits for its newest reissue letter too), a reissued IP
phone password once its reissue letter is that old, and every letter's own secret (an initial self-care
password, and whatever kind comes next) once that letter is. The registrar's digests stay: phones keep
working. Lines are locked through orders.lock_objects, in ascending number like every other
transaction, so the purge cannot deadlock with a cancellation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery, prefetch_related_objects

from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.letters.models import Letter
from selfcare.orders.lock_objects import lines_with_secrets_lock
from selfcare.orders.models import IssuedLine

logger = logging.getLogger(__name__)


def posted_secrets_purge(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Destroy the stored passwords of every line whose letter was posted SELFCARE_SECRETS_RETENTION_DAYS ago or more.

    Both encrypted fields are blanked and ``secrets_destroyed_at`` set, so from
    then on only a reissue gives the customer a password. A line whose IP phone
    password was reissued waits for its newest reissue letter to be that old
    too; a password reissued after the first destruction goes once that letter
    is (a conditional update on the reissue time, so a reissue meanwhile wins).
    One audit entry per application, with the numbers concerned. Idempotent: a
    second run finds nothing left to destroy. Returns the number of lines purged.
    """
    now = now or clock.now()
    posted_before = now - dt.timedelta(days=settings.SELFCARE_SECRETS_RETENTION_DAYS)
    with transaction.atomic(durable=True):
        lines = lines_with_secrets_lock(where=Q(application__letter__posted_at__lte=posted_before))
        waiting = lines_awaiting_reissue_letter(line_ids=[line.pk for line in lines], posted_before=posted_before)
        lines = [line for line in lines if line.pk not in waiting]
        purged = IssuedLine.objects.filter(
            pk__in=[line.pk for line in lines], secrets_destroyed_at__isnull=True
        ).update(service_pin_encrypted="", sip_password_encrypted="", secrets_destroyed_at=now)
        by_application: dict[int, list[IssuedLine]] = defaultdict(list)
        for line in lines:
            by_application[line.application_id].append(line)
        applications = [application_lines[0].application for application_lines in by_application.values()]
        prefetch_related_objects(applications, "letter")
        for application, application_lines in zip(applications, by_application.values(), strict=True):
            letter = application.letter
            audit_record(
                actor=actor,
                action="secrets.purged",
                customer_id=application.customer_id,
                target=application.application_number,
                detail={
                    "lines": len(application_lines),
                    "numbers": sorted(line.number_id for line in application_lines),
                    "letter": letter.pk,
                    "posted_at": letter.posted_at.isoformat() if letter.posted_at else None,
                    "retention_days": settings.SELFCARE_SECRETS_RETENTION_DAYS,
                },
            )
        purged += _reissued_passwords_purge(actor=actor, now=now, posted_before=posted_before)
        _letters_secrets_purge(actor=actor, posted_before=posted_before)
    if purged:
        logger.info("Destroyed the stored passwords of %d lines", purged)
    return purged


def _letters_secrets_purge(*, actor: Actor, posted_before: dt.datetime) -> int:
    """Every posted letter that still holds a secret of its own (an initial self-care password, and
    whatever kind comes next), posted at or before ``posted_before`` as the numbers' passwords are."""
    due = list(
        Letter.objects.filter(posted_at__lte=posted_before, secret_encrypted__gt="").values_list(
            "pk", "customer_id", "kind"
        )
    )
    for letter_id, customer_id, kind in due:
        Letter.objects.filter(pk=letter_id).update(secret_encrypted="")
        audit_record(
            actor=actor,
            action="secrets.purged",
            customer_id=customer_id,
            target=f"letter:{letter_id}",
            detail={"letter": letter_id, "kind": kind},
        )
    return len(due)


def _reissued_passwords_purge(*, actor: Actor, now: dt.datetime, posted_before: dt.datetime) -> int:
    purged = 0
    for line in reissued_passwords_due(posted_before=posted_before):
        done = IssuedLine.objects.filter(
            pk=line.pk, sip_password_reissued_at=line.sip_password_reissued_at, secrets_destroyed_at__isnull=False
        ).update(sip_password_encrypted="", secrets_destroyed_at=now)
        if not done:
            continue  # reissued again meanwhile: that password waits for its own letter
        purged += 1
        audit_record(
            actor=actor,
            action="secrets.purged",
            customer_id=line.customer_id,
            target=line.application.application_number,
            detail={
                "lines": 1,
                "numbers": [line.number_id],
                "reissued_at": line.sip_password_reissued_at.isoformat() if line.sip_password_reissued_at else None,
                "posted_at": line.reissue_posted_at.isoformat(),  # type: ignore[attr-defined]
                "retention_days": settings.SELFCARE_SECRETS_RETENTION_DAYS,
            },
        )
    return purged


def _newest_reissue_letter_posted_at() -> Subquery:
    newest = Letter.objects.filter(line=OuterRef("pk"), kind=Letter.Kind.SIP_PASSWORD_REISSUE).order_by(
        "-queued_at", "-pk"
    )
    return Subquery(newest.values("posted_at")[:1])


def lines_awaiting_reissue_letter(*, line_ids: list[int], posted_before: dt.datetime) -> set[int]:
    """Of these lines, those whose newest reissue letter is not posted yet, or was posted after ``posted_before``.

    Their (reissued) IP phone password must stay until that letter is old enough.
    """
    has_reissue = Exists(Letter.objects.filter(line=OuterRef("pk"), kind=Letter.Kind.SIP_PASSWORD_REISSUE))
    return set(
        IssuedLine.objects.filter(pk__in=line_ids)
        .annotate(has_reissue=has_reissue, reissue_posted_at=_newest_reissue_letter_posted_at())
        .filter(has_reissue=True)
        .filter(Q(reissue_posted_at__isnull=True) | Q(reissue_posted_at__gt=posted_before))
        .values_list("pk", flat=True)
    )


def reissued_passwords_due(*, posted_before: dt.datetime) -> list[IssuedLine]:
    """Lines whose issue passwords are destroyed but which hold a reissued IP phone password whose
    newest reissue letter was posted at or before ``posted_before`` (annotated ``reissue_posted_at``)."""
    return list(
        IssuedLine.objects.filter(secrets_destroyed_at__isnull=False, sip_password_reissued_at__isnull=False)
        .exclude(sip_password_encrypted="")
        .annotate(reissue_posted_at=_newest_reissue_letter_posted_at())
        .filter(reissue_posted_at__lte=posted_before)
        .select_related("application")
        .order_by("number_id", "pk")
    )
