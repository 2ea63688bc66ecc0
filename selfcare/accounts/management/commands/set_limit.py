from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from selfcare.accounts.selectors import customer_get
from selfcare.accounts.services import customer_set_limit
from selfcare.audit.services import Actor
from selfcare.core.commands import non_negative_int, refusals_as_command_errors


class Command(BaseCommand):
    help = "Set a customer's cumulative addition limit (numbers added by self-care in total, cancelled included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("selfcare_id", help="the customer's self-care ID")
        parser.add_argument("limit", type=non_negative_int, help="the new limit")

    def handle(self, *args: Any, **options: Any) -> None:
        with refusals_as_command_errors():
            customer = customer_get(selfcare_id=options["selfcare_id"])
            previous = customer.addition_limit
            customer = customer_set_limit(
                customer_id=customer.pk, limit=options["limit"], actor=Actor.system("set_limit")
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Limit of {customer.selfcare_id}: {previous} -> {customer.addition_limit} "
                f"({customer.numbers_added} added so far)."
            )
        )
