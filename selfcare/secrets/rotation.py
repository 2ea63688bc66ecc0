"""Key rotation: every column of ``columns.ENCRYPTED_COLUMNS`` re-encrypted under the first key.

Rows are locked through their own app's ``lock_objects`` (lines in ascending number, letters and
endpoints by ascending id), each chunk in a transaction of its own with the bounded lock wait: a chunk
that waits too long is refused as Busy, and the rotation, safe to run again, can simply be rerun.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from selfcare.audit.services import Actor, audit_record
from selfcare.core import crypto
from selfcare.integrations.lock_objects import endpoints_to_rotate_lock
from selfcare.integrations.models import WebhookEndpoint
from selfcare.letters.lock_objects import letters_with_secret_lock
from selfcare.letters.models import Letter
from selfcare.orders.lock_objects import lines_to_rotate_lock
from selfcare.orders.models import IssuedLine

ROTATE_CHUNK = 2_000


def credentials_rotate(*, actor: Actor, progress: Callable[[int], object] | None = None) -> int:
    """Re-encrypt every line's passwords, in chunks, then the letters' secrets (safe to run again).

    Returns the number of lines; one audit entry counts the lines and the letters.
    """
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
    with transaction.atomic():
        letters = letters_with_secret_lock()
        for letter in letters:
            letter.secret_encrypted = crypto.rotate(letter.secret_encrypted)
        Letter.objects.bulk_update(letters, ["secret_encrypted"], batch_size=1_000)
    return len(letters)


def webhook_secrets_rotate() -> int:
    """Re-encrypt the webhook endpoints' signing secrets under the first key."""
    rotated = 0
    with transaction.atomic():
        for endpoint in endpoints_to_rotate_lock():
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                secret_encrypted=crypto.rotate(endpoint.secret_encrypted)
            )
            rotated += 1
    return rotated
