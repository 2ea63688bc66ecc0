from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from selfcare.audit.services import Actor
from selfcare.secrets.purge import posted_secrets_purge


class Command(BaseCommand):
    help = (
        "Destroy the stored passwords of numbers whose service-start letter was posted "
        "SELFCARE_SECRETS_RETENTION_DAYS days ago or more. The jobs worker runs it daily at 03:00; running it again "
        "changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        purged = posted_secrets_purge(actor=Actor.system("purge_posted_secrets"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Destroyed the stored passwords of {purged} numbers "
                f"(letters posted {settings.SELFCARE_SECRETS_RETENTION_DAYS} days ago or more)."
            )
        )
