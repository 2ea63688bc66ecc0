from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from selfcare.accounts.selectors import customer_get
from selfcare.audit.services import Actor
from selfcare.core.commands import refusals_as_command_errors
from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import SCOPES

# The name a key made here gets when none is given: the customer reads it on their (Japanese) API keys page.
DEFAULT_NAME = "コマンドで作成"


class Command(BaseCommand):
    help = (
        "Make an API key for a customer and print it once (only its prefix and a keyed hash are stored). "
        "Example: create_api_key ACME01 --scope numbers:read --scope numbers:add --expires-days 90"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("selfcare_id", help="the customer's self-care ID")
        parser.add_argument(
            "--scope", action="append", required=True, choices=list(SCOPES), help="a scope; repeat for several"
        )
        parser.add_argument("--name", default="", help=f"what the key is for (default: '{DEFAULT_NAME}')")
        parser.add_argument("--expires-days", type=int, default=None, help="valid this many days (default: no expiry)")
        parser.add_argument(
            "--allow", action="append", default=[], help="a client address or network allowed to use it; repeatable"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with refusals_as_command_errors():
            customer = customer_get(selfcare_id=options["selfcare_id"])
            made = api_key_create(
                customer_id=customer.pk,
                name=options["name"] or DEFAULT_NAME,
                scopes=options["scope"],
                expires_days=options["expires_days"],
                allowed_networks=options["allow"],
                actor=Actor.system("create_api_key"),
            )
        self.stderr.write(
            f"API key {made.api_key.prefix} for {customer.selfcare_id} ({', '.join(made.api_key.scopes)}); "
            "it is shown this once:"
        )
        self.stdout.write(made.key)
