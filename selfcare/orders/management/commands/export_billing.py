from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selfcare.audit.services import Actor
from selfcare.orders.billing import billing_export

ACTOR = Actor.system("export_billing")
_YEAR_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def year_month(value: str) -> dt.date:
    """argparse type for YYYY-MM: the first day of that month."""
    match = _YEAR_MONTH.fullmatch(value.strip())
    try:
        if match is None:
            raise ValueError
        return dt.date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month in the form YYYY-MM, e.g. 2026-04") from None


class Command(BaseCommand):
    help = (
        "Export the billing of one calendar month as CSV: one row per issued line held in that month, "
        "at the customer's current plan's fee, pro rata by day for part of the month."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", type=year_month, required=True, help="the month to bill (YYYY-MM)")
        parser.add_argument("--output", type=Path, help="CSV file to write (default: standard output)")
        parser.add_argument(
            "--excel",
            action="store_true",
            help="for Excel in Japan: UTF-8 with a byte-order mark, numbers written 050-1234-5678 (kept as text)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        month: dt.date = options["month"]
        output: Path | None = options["output"]
        excel: bool = options["excel"]
        started = time.monotonic()
        if output is None:
            written = billing_export(month=month, stream=self.stdout, excel=excel, actor=ACTOR)
        else:
            written = self._to_file(month=month, output=output, excel=excel)
        self.stderr.write(
            f"Wrote {written} billing rows for {month:%Y-%m} ({time.monotonic() - started:.1f} s).",
            style_func=self.style.SUCCESS,
        )

    def _to_file(self, *, month: dt.date, output: Path, excel: bool) -> int:
        # Write beside the target and rename at the end, so a failed export never leaves a partial CSV
        # where a billing run would pick it up.
        partial = output.with_name(f".{output.name}.partial")
        try:
            # Customers' names and numbers: readable by the owner only, like the letters' PDFs.
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
                written = billing_export(month=month, stream=stream, excel=excel, actor=ACTOR)
            os.replace(partial, output)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from None
        finally:
            partial.unlink(missing_ok=True)  # gone already after a successful rename
        return written
