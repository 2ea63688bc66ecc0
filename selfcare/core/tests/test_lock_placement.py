"""Every row lock of the project is taken in a ``lock_objects.py`` (docs/architecture.md, *Lock order*):
one place per app to read what it locks, in which order, with the bounded wait."""

from __future__ import annotations

import re
from pathlib import Path

import selfcare

ROOT = Path(selfcare.__file__).parent
LOCK = re.compile(r"\.select_for_update\(")


def test_select_for_update_appears_only_in_lock_objects_modules():
    outside = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts
        and "migrations" not in path.parts
        and path.name != "lock_objects.py"
        and LOCK.search(path.read_text(encoding="utf-8"))
    )

    assert outside == []
