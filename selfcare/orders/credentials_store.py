"""Key rotation for the encrypted passwords of issued lines (and the secrets letters hold).

Its row locks are taken in the lock_objects modules, with the bounded wait: a chunk that waits
too long for a line is refused as Busy, and the rotation, safe to run again, can be rerun.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from selfcare.core import crypto
from selfcare.core.audit import Actor, audit_record
from selfcare.orders.lock_objects import lines_to_rotate_lock
from selfcare.orders.models import IssuedLine

ROTATE_CHUNK = 2_000


def credentials_rotate(*, actor: Actor, progress: Callable[[int], object] | None = None) -> int:
    """Re-encrypt every line's passwords under the current first key, in chunks (safe to run again)."""
    rotated = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            lines = lines_to_rotate_lock(after_pk=last_pk, limit=ROTATE_CHUNK)
            if not lines:
                break
            for line in lines:
                if line.service_pin_encrypted:
                    line.service_pin_encrypted = crypto.rotate(line.service_pin_encrypted)
                if line.sip_password_encrypted:
                    line.sip_password_encrypted = crypto.rotate(line.sip_password_encrypted)
            IssuedLine.objects.bulk_update(lines, ["service_pin_encrypted", "sip_password_encrypted"])
        rotated += len(lines)
        last_pk = lines[-1].pk
        if progress is not None:
            progress(len(lines))
    letters = _letters_rotate()
    with transaction.atomic():
        audit_record(actor=actor, action="credentials.rotated", detail={"lines": rotated, "letters": letters})
    return rotated


def _letters_rotate() -> int:
    """Initial self-care passwords waiting on unpurged letters."""
    from selfcare.letters.lock_objects import letters_with_secret_lock
    from selfcare.letters.models import Letter

    rotated = 0
    with transaction.atomic():
        letters = letters_with_secret_lock()
        for letter in letters:
            letter.secret_encrypted = crypto.rotate(letter.secret_encrypted)
        Letter.objects.bulk_update(letters, ["secret_encrypted"], batch_size=1_000)
        rotated += len(letters)
    return rotated
