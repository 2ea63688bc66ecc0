"""E-mail from a job: sent once per key, with a Message-ID made from the key (the same on a repeat)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.mail import EmailMessage

from selfcare.jobs.context import current_job_id
from selfcare.jobs.registry import effect_once


def mail_once(*, subject: str, body: str, to: str, key: str | None = None) -> bool:
    """Send one e-mail unless this job (or ``key``) already sent it; True when it was sent now.

    Raises what the mail backend raises (the job is then tried again later).
    """
    key = key or f"mail:{current_job_id()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message = EmailMessage(subject, body, None, [to], headers={"Message-ID": f"<{digest}@{domain}>"})

    def send() -> None:
        message.send(fail_silently=False)

    return effect_once(key, send)
