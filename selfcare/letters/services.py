"""Printing and posting the letters (service start, password reissue; their secrets' purge is selfcare.secrets)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.db import transaction
from django.db.models import F

from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.letters.errors import (
    LetterNotPrinted,
    LettersNotFound,
    LetterWithdrawn,
    NoLettersSelected,
    ReprintNeedsReason,
    SecretsUnreadable,
)
from selfcare.letters.lock_objects import letters_lock
from selfcare.letters.models import Letter
from selfcare.letters.pdf import letters_pdf
from selfcare.letters.selectors import letters_for_printing, letters_in_print_order

logger = logging.getLogger(__name__)

Progress = Callable[[int], object]
MAX_REASON = 200


def _ids_in_print_order(letter_ids: Iterable[int]) -> list[int]:
    wanted = sorted({int(pk) for pk in letter_ids})
    if not wanted:
        raise NoLettersSelected()
    found = letters_in_print_order(letter_ids=wanted)
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise LettersNotFound(ids=_id_list(missing))
    withdrawn = list(
        Letter.objects.filter(pk__in=found, withdrawn_at__isnull=False).order_by("pk").values_list("pk", flat=True)
    )
    if withdrawn:
        raise LetterWithdrawn(ids=_id_list(withdrawn))
    return found


def _id_list(ids: list[int]) -> str:
    shown = ", ".join(str(pk) for pk in ids[:20])
    return shown if len(ids) <= 20 else f"{shown} … ({len(ids)} in all)"


def letters_render(*, letter_ids: Iterable[int], progress: Progress | None = None) -> bytes:
    """The letters as one PDF, one page each, in the order they were queued. Changes nothing.

    Raises NoLettersSelected, LettersNotFound or SecretsUnreadable.
    """
    ids = _ids_in_print_order(letter_ids)
    return _render(ids, progress)


def _render(ids: list[int], progress: Progress | None) -> bytes:
    letters = letters_for_printing(letter_ids=ids)
    current: list[Letter] = []

    def tracked() -> Iterable[Letter]:
        for letter in letters:
            current[:] = [letter]
            yield letter

    try:
        pdf, _pages = letters_pdf(tracked(), progress=progress)
    except InvalidToken:
        # The token itself is never shown: only which letter could not be read.
        raise SecretsUnreadable(letter_id=current[0].pk if current else 0) from None
    return pdf


def letters_print(
    *, letter_ids: Iterable[int], actor: Actor, reason: str = "", progress: Progress | None = None
) -> bytes:
    """Render the letters as one PDF and record at once that they were printed (one audit entry each).

    For ``print_letters --output``, whose file goes straight to the printer. The staff site makes the
    PDF first (``letters_pdf_make``) and records the print when the operator confirms it
    (``letters_print_confirm``).

    A letter printed before is a reprint: it puts the passwords on paper again,
    so it needs a ``reason`` (kept in the audit entry) or ReprintNeedsReason is
    raised and nothing is recorded. The pages are rendered before the
    transaction (a thousand pages must not hold row locks); under the lock the
    print counts are checked again, so of two staff printing the same new
    letters at once, the second is told it is reprinting them.

    Raises NoLettersSelected, LettersNotFound, ReprintNeedsReason or SecretsUnreadable.
    """
    reason = _reason(reason)
    ids = _ids_in_print_order(letter_ids)
    _reason_check(ids, reason)
    pdf = _render(ids, progress)
    _printed_record(ids=ids, actor=actor, reason=reason, meanwhile_reason=None)
    return pdf


# Printed by someone else between this PDF and its confirmation: two paper copies exist.
PRINTED_MEANWHILE = "printed by another member of staff at the same time"


@dataclass(frozen=True)
class PrintConfirmed:
    printed: int
    printed_meanwhile: list[int]  # ids confirmed by someone else since this PDF was made: a second paper copy


def letters_pdf_make(
    *, letter_ids: Iterable[int], actor: Actor, reason: str = "", progress: Progress | None = None
) -> bytes:
    """The letters as one PDF for the staff site, recorded as made (``letter.pdf_made``) but not as printed.

    The pages carry the passwords, so every PDF made is on record; the letters stay unprinted until the
    operator has the paper in hand and confirms (``letters_print_confirm``), and until then the PDF can
    be made again. A letter printed before needs a ``reason``, as a reprint does.

    Raises NoLettersSelected, LettersNotFound, ReprintNeedsReason or SecretsUnreadable.
    """
    reason = _reason(reason)
    ids = _ids_in_print_order(letter_ids)
    _reason_check(ids, reason)
    pdf = _render(ids, progress)
    with transaction.atomic(durable=True):
        for letter in Letter.objects.filter(pk__in=ids).select_related("application").order_by("pk"):
            detail = _print_detail(letter, print_count=letter.print_count)
            if reason:
                detail["reason"] = reason
            audit_record(
                actor=actor,
                action="letter.pdf_made",
                customer_id=letter.customer_id,
                target=f"letter:{letter.pk}",
                detail=detail,
            )
    return pdf


def letters_print_confirm(*, letter_ids: Iterable[int], actor: Actor, reason: str = "") -> PrintConfirmed:
    """Record that the letters of a PDF made by ``letters_pdf_make`` came out of the printer.

    ``reason`` is the reprint reason the PDF was made with (empty for letters never printed). A letter
    that another member of staff confirmed in the meantime is recorded as printed again, with that as
    its reason, and returned in ``printed_meanwhile``: two paper copies of its passwords now exist.

    Raises NoLettersSelected or LettersNotFound.
    """
    reason = _reason(reason)
    ids = _ids_in_print_order(letter_ids)
    meanwhile = _printed_record(ids=ids, actor=actor, reason=reason, meanwhile_reason=PRINTED_MEANWHILE)
    return PrintConfirmed(printed=len(ids), printed_meanwhile=meanwhile)


def _reason(reason: str) -> str:
    return " ".join(reason.split())[:MAX_REASON]


def _reason_check(ids: list[int], reason: str) -> None:
    already = list(Letter.objects.filter(pk__in=ids, print_count__gt=0).order_by("pk").values_list("pk", flat=True))
    if already and not reason:
        raise ReprintNeedsReason(ids=_id_list(already))


def _print_detail(letter: Letter, *, print_count: int) -> dict[str, object]:
    detail: dict[str, object] = {
        "kind": letter.kind,
        "application": letter.application.application_number if letter.application else None,
        "print_count": print_count,
    }
    if letter.line_id is not None:
        detail["line"] = letter.line_id
    return detail


def _printed_record(*, ids: list[int], actor: Actor, reason: str, meanwhile_reason: str | None) -> list[int]:
    """Count one more print of each letter and audit it, under the letters' locks.

    A letter printed before is a reprint and needs ``reason``; without one, ``meanwhile_reason`` (when
    given) stands for it and the letter is returned, else ReprintNeedsReason is raised.
    """
    with transaction.atomic(durable=True):
        letters = letters_lock(letter_ids=ids)
        if len(letters) != len(ids):
            raise LettersNotFound(ids=_id_list(sorted(set(ids) - {letter.pk for letter in letters})))
        reprints = [letter.pk for letter in letters if letter.print_count > 0]
        if reprints and not reason and meanwhile_reason is None:
            raise ReprintNeedsReason(ids=_id_list(reprints))
        meanwhile = reprints if not reason else []
        now = clock.now()
        Letter.objects.filter(pk__in=ids).update(printed_at=now, print_count=F("print_count") + 1)
        for letter in letters:
            reprint = letter.print_count > 0
            detail = _print_detail(letter, print_count=letter.print_count + 1)
            if reprint:
                detail["reason"] = reason or meanwhile_reason
            audit_record(
                actor=actor,
                action="letter.reprinted" if reprint else "letter.printed",
                customer_id=letter.customer_id,
                target=f"letter:{letter.pk}",
                detail=detail,
            )
    logger.info("Printed %d letters (%d of them reprints) for %s", len(ids), len(reprints), actor.label)
    return meanwhile


def letters_mark_posted(*, letter_ids: Iterable[int], actor: Actor) -> int:
    """Record that the printed letters went into the post; returns how many were newly marked.

    Letters already marked posted are left as they were (marking twice is
    harmless). A letter never printed cannot have been posted: marking it
    would start the clock that destroys passwords the customer never received,
    so LetterNotPrinted refuses the whole request.

    Raises NoLettersSelected, LettersNotFound, LetterWithdrawn or LetterNotPrinted.
    """
    ids = sorted({int(pk) for pk in letter_ids})
    if not ids:
        raise NoLettersSelected()
    with transaction.atomic(durable=True):
        letters = letters_lock(letter_ids=ids)
        missing = sorted(set(ids) - {letter.pk for letter in letters})
        if missing:
            raise LettersNotFound(ids=_id_list(missing))
        unposted = [letter for letter in letters if letter.posted_at is None]
        withdrawn = [letter.pk for letter in unposted if letter.withdrawn_at is not None]
        if withdrawn:
            raise LetterWithdrawn(ids=_id_list(withdrawn))
        unprinted = [letter.pk for letter in unposted if letter.print_count == 0]
        if unprinted:
            raise LetterNotPrinted(ids=_id_list(unprinted))
        now = clock.now()
        posted_by_id = actor.user_id if actor.kind == "staff" else None
        Letter.objects.filter(pk__in=[letter.pk for letter in unposted], posted_at__isnull=True).update(
            posted_at=now, posted_by_id=posted_by_id
        )
        for letter in unposted:
            detail = {
                "kind": letter.kind,
                "application": letter.application.application_number if letter.application else None,
                "print_count": letter.print_count,
            }
            if letter.line_id is not None:
                detail["line"] = letter.line_id
            audit_record(
                actor=actor,
                action="letter.posted",
                customer_id=letter.customer_id,
                target=f"letter:{letter.pk}",
                detail=detail,
            )
    logger.info("Marked %d letters posted for %s", len(unposted), actor.label)
    return len(unposted)
