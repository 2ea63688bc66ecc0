from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from selfcare.inventory.tally import pool_tally_compact


class Command(BaseCommand):
    help = (
        "The jobs worker runs it daily at 03:30: sum the pool tally's change rows (one per import, application "
        "and cancellation) into one row "
        "per state and day, so the staff dashboard's counts stay one small read."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summed = pool_tally_compact()
        self.stdout.write(f"Summed {summed} pool tally rows." if summed else "The pool tally was already summed.")
