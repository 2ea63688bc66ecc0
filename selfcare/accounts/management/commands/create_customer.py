from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from selfcare.accounts.services import customer_create
from selfcare.audit.services import Actor
from selfcare.core.commands import non_negative_int, refusals_as_command_errors


class Command(BaseCommand):
    help = "Create a customer with its self-care login. Prints a generated password when none is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--selfcare-id", required=True, help="the self-care ID the customer logs in with")
        parser.add_argument("--email", required=True, help="registered e-mail address (receives the login codes)")
        parser.add_argument("--name", required=True, help="contract name (契約者名)")
        parser.add_argument("--plan", required=True, help="plan code")
        parser.add_argument("--limit", type=non_negative_int, help="cumulative addition limit (default: the setting)")
        parser.add_argument(
            "--password",
            help="initial password (15 to 128 characters); omit to generate one. "
            "A password on the command line can end up in shell history.",
        )
        parser.add_argument("--postal-code", default="", help="contract postal code, e.g. 100-0001")
        parser.add_argument("--address", default="", help="contract address for posted letters")

    def handle(self, *args: Any, **options: Any) -> None:
        with refusals_as_command_errors():
            created = customer_create(
                selfcare_id=options["selfcare_id"],
                email=options["email"],
                contract_name=options["name"],
                plan_code=options["plan"],
                addition_limit=options["limit"],
                password=options["password"],
                postal_code=options["postal_code"],
                address=options["address"],
                actor=Actor.system("create_customer"),
            )
        customer = created.customer
        self.stdout.write(
            self.style.SUCCESS(
                f"Created customer {customer.selfcare_id} ({customer.contract_name}), plan {customer.plan.code}, "
                f"limit {customer.addition_limit}."
            )
        )
        if created.initial_password:
            self.stdout.write(f"Initial password (shown once): {created.initial_password}")
