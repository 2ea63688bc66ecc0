from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from selfcare.audit.services import Actor
from selfcare.core.commands import refusals_as_command_errors
from selfcare.letters.selectors import letters_unprinted_ids
from selfcare.letters.services import letters_print


class Command(BaseCommand):
    help = (
        "Print service-start letters (IP電話サービス開始のご案内) as one A4 PDF, one page per letter, "
        "and record them as printed. Default: every letter not printed yet. "
        "Letters printed before need --reprint-reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, required=True, metavar="FILE", help="where to write the PDF")
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--all-unprinted", action="store_true", help="every letter never printed and not posted (the default)"
        )
        which.add_argument("--letter", type=int, nargs="+", metavar="ID", dest="letters", help="these letters only")
        parser.add_argument(
            "--reprint-reason", default="", metavar="TEXT", help="why letters printed before are printed again"
        )
        parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
        parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        if output.exists() and not options["force"]:
            raise CommandError(f"{output} already exists; choose another file or add --force.")
        if not output.parent.is_dir():
            raise CommandError(f"The directory {output.parent} does not exist.")
        letter_ids: list[int] = options["letters"] or letters_unprinted_ids()
        if not letter_ids:
            self.stdout.write("No unprinted letters; nothing written.")
            return
        # Open the file first so a directory we cannot write to fails before anything is recorded.
        try:
            handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
        except OSError as exc:
            raise CommandError(f"Cannot write to {output.parent}: {exc.strerror}.") from None
        try:
            with (
                os.fdopen(handle, "wb") as stream,
                refusals_as_command_errors(),
                tqdm(total=len(letter_ids), unit="letters", disable=options["no_progress"] or None) as bar,
            ):
                pdf = letters_print(
                    letter_ids=letter_ids,
                    actor=Actor.system("print_letters"),
                    reason=options["reprint_reason"],
                    progress=bar.update,
                )
                _write(stream, pdf, output)
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        count = len(set(letter_ids))
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {count} letters ({count} pages, {len(pdf) // 1024} KiB) to {output}.")
        )


def _write(stream: IO[bytes], pdf: bytes, output: Path) -> None:
    try:
        stream.write(pdf)
        stream.flush()
    except OSError as exc:
        raise CommandError(
            f"The letters were recorded as printed but {output} could not be written ({exc.strerror}); "
            "print them again with --letter ID... and --reprint-reason."
        ) from None
