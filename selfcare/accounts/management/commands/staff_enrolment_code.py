from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from selfcare.accounts.services import ENROLMENT_CODE_VALID, staff_enrolment_code_issue
from selfcare.audit.services import Actor
from selfcare.core.commands import refusals_as_command_errors


class Command(BaseCommand):
    help = (
        "Issue a staff user's authenticator enrolment code and print it once. Hand it over out of band: "
        "the staff site asks for it at the first login, before it shows the QR code. Single use, valid for "
        f"{ENROLMENT_CODE_VALID.total_seconds() / 3600:g} hours; an earlier code of the same user becomes void."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the staff user's user name")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="remove the user's authenticator first (a lost phone): they must enrol again, with this code",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with refusals_as_command_errors():
            issued = staff_enrolment_code_issue(
                username=options["username"],
                reset_authenticator=options["reset"],
                actor=Actor.system("staff_enrolment_code"),
            )
        if issued.authenticators_removed:
            self.stdout.write(f"Removed the authenticator of {issued.username}.")
        expires = timezone.localtime(issued.expires_at).strftime("%Y-%m-%d %H:%M %Z")
        self.stdout.write(f"Enrolment code for {issued.username} (shown once, valid until {expires}): {issued.code}")
