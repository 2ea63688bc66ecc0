from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from selfcare.audit.services import Actor
from selfcare.core.commands import iso_date, refusals_as_command_errors
from selfcare.inventory.services import parse_number
from selfcare.orders.services import numbers_cancel, quarantine_end


class Command(BaseCommand):
    help = (
        "Record a paper cancellation form (書面での解約) for numbers of one customer. "
        "The numbers stay in service until the effective date, then wait out their quarantine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("numbers", nargs="+", metavar="NUMBER", help="050 numbers, e.g. 050-1234-5678")
        parser.add_argument("--received-on", type=iso_date, required=True, help="day the form arrived (YYYY-MM-DD)")
        parser.add_argument(
            "--effective-on", type=iso_date, help="day the cancellation takes effect (YYYY-MM-DD; default: received)"
        )
        parser.add_argument("--note", default="", help="free note kept with the form")

    def handle(self, *args: Any, **options: Any) -> None:
        with refusals_as_command_errors():
            numbers = [parse_number(raw) for raw in options["numbers"]]
            cancellation = numbers_cancel(
                numbers=numbers,
                received_on=options["received_on"],
                effective_on=options["effective_on"],
                note=options["note"],
                actor=Actor.system("cancel_numbers"),
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Cancelled {len(set(numbers))} numbers of {cancellation.customer.selfcare_id} from "
                f"{cancellation.effective_on}; they can be issued again from "
                f"{quarantine_end(cancellation.effective_on)}."
            )
        )
