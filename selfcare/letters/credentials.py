"""The self-care ID letters (a new customer's, a forgotten password's): what accounts asks of them.

accounts decides when a password changes and audits it; the letters' rows are this app's to write,
under their own lock (``letters.lock_objects``, taken after the customer's lock, which the caller
holds: docs/architecture.md, *Lock order*).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from selfcare.core import clock, crypto
from selfcare.letters.lock_objects import credentials_letters_lock
from selfcare.letters.models import Addressee, Letter


def credentials_letter_queue(*, customer: Addressee, password: str) -> Letter:
    """The self-care ID and a generated password go by post; the password is stored only encrypted."""
    letter = Letter.to_contract_address(
        customer,
        kind=Letter.Kind.SELFCARE_CREDENTIALS,
        secret_encrypted=crypto.encrypt(password),
        queued_at=clock.now(),
    )
    letter.save()
    return letter


@dataclass(frozen=True)
class Superseded:
    withdrawn: list[int]
    """Not yet posted (printed or not): kept in the queue as withdrawn, never printed or posted."""
    blanked: list[int]
    """Already posted: the record stays, the password it carried is destroyed."""


def credentials_letters_supersede(*, customer_id: int, why: str, keep_letter_id: int | None = None) -> Superseded:
    """No credentials letter of the customer may carry a password that has just stopped working.

    Every such letter still holding a password, but ``keep_letter_id``, is locked; one not yet posted is
    withdrawn (when, and ``why``: a ``Letter.Withdrawal``), its password destroyed, and is never printed or
    posted; one already posted loses its password, so a reprint asks for a reissue instead.
    """
    letters = [
        letter
        for letter in credentials_letters_lock(customer_id=customer_id)
        if letter.secret_encrypted and letter.withdrawn_at is None and letter.pk != keep_letter_id
    ]
    withdrawn = [letter.pk for letter in letters if letter.posted_at is None]
    blanked = [letter.pk for letter in letters if letter.posted_at is not None]
    Letter.objects.filter(pk__in=withdrawn).update(secret_encrypted="", withdrawn_at=clock.now(), withdrawn_reason=why)
    Letter.objects.filter(pk__in=blanked).update(secret_encrypted="")
    return Superseded(withdrawn=withdrawn, blanked=blanked)


def credentials_letter_newest_id(*, customer_id: int) -> int | None:
    """The customer's newest credentials letter (the one carrying the latest password), if any."""
    return (
        Letter.objects.filter(customer_id=customer_id, kind=Letter.Kind.SELFCARE_CREDENTIALS)
        .order_by("-queued_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


def credentials_letter_waiting(*, customer_id: int) -> bool:
    """A credentials letter is still to be posted (and not withdrawn)."""
    return Letter.objects.filter(
        customer_id=customer_id,
        kind=Letter.Kind.SELFCARE_CREDENTIALS,
        posted_at__isnull=True,
        withdrawn_at__isnull=True,
    ).exists()


def credentials_letter_queued_since(*, customer_id: int, since: dt.datetime) -> bool:
    """A credentials letter queued after ``since`` that was not withdrawn (a withdrawn one never goes out)."""
    return Letter.objects.filter(
        customer_id=customer_id,
        kind=Letter.Kind.SELFCARE_CREDENTIALS,
        queued_at__gt=since,
        withdrawn_at__isnull=True,
    ).exists()
