from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from selfcare.orders.invariants import invariants_check


class Command(BaseCommand):
    help = (
        "Check invariants 1, 2, 3, 5 and 9 of docs/rules.md (one holder per number, limits, whole applications, "
        "quarantine, the pool's counts) against the database. Exits non-zero on any violation."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        results = invariants_check()
        for result in results:
            mark = self.style.SUCCESS("ok  ") if result.ok else self.style.ERROR("FAIL")
            line = f"{mark} invariant {result.invariant}: {result.description} ({result.checked} rows checked"
            line += ")" if result.ok else f", {result.violations} violations)"
            line += f" {result.seconds:.1f} s"
            self.stdout.write(line)
            for example in result.examples:
                self.stdout.write(f"       {example}")
        failed = [r for r in results if not r.ok]
        elapsed = time.monotonic() - started
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} checks failed ({elapsed:.1f} s).")
        self.stdout.write(self.style.SUCCESS(f"All {len(results)} checks passed ({elapsed:.1f} s)."))
