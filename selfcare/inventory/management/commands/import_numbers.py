from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from selfcare.audit.services import Actor
from selfcare.core.commands import iso_date, refusals_as_command_errors
from selfcare.inventory.services import iter_range, numbers_from_csv, numbers_import, numbers_in_range


class Command(BaseCommand):
    help = (
        "Add 050 numbers to the inventory as free numbers: an inclusive range FIRST LAST, "
        "or the first column of a CSV file. Numbers already in the inventory are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("first", nargs="?", help="first number of the range, e.g. 05012340000")
        parser.add_argument("last", nargs="?", help="last number of the range (inclusive)")
        parser.add_argument("--csv", type=Path, help="CSV file whose first column holds the numbers")
        parser.add_argument(
            "--available-from", type=iso_date, help="first day the numbers may be issued (YYYY-MM-DD; default today)"
        )
        parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last, csv_path = options["first"], options["last"], options["csv"]
        if csv_path and (first or last):
            raise CommandError("Give either a range FIRST LAST or --csv FILE, not both.")
        with refusals_as_command_errors():
            if csv_path:
                try:
                    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
                        numbers: list[str] | Any = numbers_from_csv(stream)
                except OSError as exc:
                    raise CommandError(f"Cannot read {csv_path}: {exc.strerror}") from None
                except UnicodeDecodeError:
                    raise CommandError(f"{csv_path} is not UTF-8 text.") from None
                total, source = len(numbers), f"csv:{csv_path.name}"
            elif first and last:
                first, last, total = numbers_in_range(first, last)
                numbers, source = iter_range(first, last), f"range:{first}-{last}"
            else:
                raise CommandError("Give a range FIRST LAST (e.g. 05012340000 05012349999) or --csv FILE.")
            with tqdm(total=total, unit="numbers", disable=options["no_progress"] or None) as bar:
                result = numbers_import(
                    numbers=numbers,
                    available_from=options["available_from"],
                    actor=Actor.system("import_numbers"),
                    progress=bar.update,
                    source=source,
                )
        self.stdout.write(self.style.SUCCESS(f"Added {result.added} numbers; skipped {result.skipped} already known."))
