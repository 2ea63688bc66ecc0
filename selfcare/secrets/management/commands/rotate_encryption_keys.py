from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from selfcare.audit.services import Actor
from selfcare.secrets.rotation import credentials_rotate, webhook_secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored password under the first key of SELFCARE_ENCRYPTION_KEYS. "
        "Run after putting a new key first; remove the old key once this has finished."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(unit="lines", disable=options["no_progress"] or None) as bar:
            rotated = credentials_rotate(actor=Actor.system("rotate_encryption_keys"), progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the passwords of {rotated} issued lines."))
        endpoints = webhook_secrets_rotate()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the signing secrets of {endpoints} webhook endpoints."))
