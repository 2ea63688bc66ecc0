from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from selfcare.audit.services import Actor
from selfcare.core.commands import refusals_as_command_errors
from selfcare.registrar.control import RegistrarUnreachable
from selfcare.registrar.services import cancelled_registrations_drop


class Command(BaseCommand):
    help = (
        "Drop from the registrar the phones of numbers whose cancellation has taken effect (kamcmd ul.rm), "
        "then forget those numbers' digests. The jobs worker runs it daily at 00:05 (carrier time); running it "
        "again changes nothing. Needs SELFCARE_REGISTRAR_CTL."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with refusals_as_command_errors():
            try:
                numbers = cancelled_registrations_drop(actor=Actor.system("registrar_drop_cancelled"))
            except RegistrarUnreachable as exc:
                raise CommandError(f"The registrar did not answer; the rest is tried again next run. {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"Dropped the registrations of {len(numbers)} cancelled numbers."))
        if options["verbosity"] > 1 and numbers:
            self.stdout.write(", ".join(numbers))
