from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selfcare.registrar.kamailio_cfg import BadRegistrarOption, RegistrarOptions, render_kamailio_cfg


class Command(BaseCommand):
    help = (
        "Write kamailio.cfg for Debian's Kamailio 5.6 as the registrar of the 050 numbers: REGISTER only, "
        "digests read from this database's registrar_subscriber view, registrations kept in memory. "
        "The realm and domain come from SELFCARE_SIP_REALM and SELFCARE_SIP_DOMAIN (docs/registrar.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--listen",
            action="extend",
            nargs="+",
            required=True,
            help="address(es) to take SIP on, e.g. udp:192.0.2.10:5060",
        )
        parser.add_argument(
            "--db-url",
            default=os.environ.get("SELFCARE_REGISTRAR_DATABASE_URL", ""),
            help="postgres://LOGIN:PASSWORD@HOST:PORT/DATABASE for Kamailio's login role "
            "(default: $SELFCARE_REGISTRAR_DATABASE_URL)",
        )
        parser.add_argument(
            "--ctl-socket",
            default="/run/kamailio/kamailio_ctl",
            help="kamcmd's control socket: an absolute path, or tcp:ADDRESS:PORT for app servers on other hosts "
            "(no authentication: a private, firewalled network only)",
        )
        parser.add_argument("--ctl-group", default="", help="group allowed to use the control socket (the portal's)")
        parser.add_argument("--children", type=int, default=4, help="SIP worker processes per listen address")
        parser.add_argument("--max-expires", type=int, default=3600, help="longest registration granted, seconds")
        parser.add_argument("--log-stderr", action="store_true", help="log to standard error instead of syslog")
        parser.add_argument("--output", "-o", default="-", help="file to write (mode 0640), or - for standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["db_url"]:
            raise CommandError("Give --db-url or set SELFCARE_REGISTRAR_DATABASE_URL.")
        try:
            text = render_kamailio_cfg(
                RegistrarOptions(
                    listen=options["listen"],
                    db_url=options["db_url"],
                    ctl_socket=options["ctl_socket"],
                    ctl_group=options["ctl_group"],
                    children=options["children"],
                    max_expires=options["max_expires"],
                    log_stderr=options["log_stderr"],
                )
            )
        except BadRegistrarOption as exc:
            raise CommandError(str(exc)) from None
        if options["output"] == "-":
            self.stdout.write(text, ending="")
            return
        target = Path(options["output"])
        # The file holds the registrar's database password: never readable by everyone, not even briefly.
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        partial.replace(target)
        self.stderr.write(f"Wrote {target}. Check it with: kamailio -c -f {target}")
