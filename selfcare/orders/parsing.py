from __future__ import annotations

import re
import unicodedata

from django.conf import settings

from selfcare.orders.errors import BadCount

_DIGITS = re.compile(r"[0-9]{1,6}")


def count_limits() -> tuple[int, int]:
    return 1, settings.SELFCARE_MAX_NUMBERS_PER_APPLICATION


def parse_count(raw: str | int) -> int:
    """追加番号数 as typed: full-width digits count (NFKC), spaces around are ignored, anything else is BadCount."""
    minimum, maximum = count_limits()
    if isinstance(raw, bool):
        raise BadCount(minimum=minimum, maximum=maximum)
    if isinstance(raw, int):
        value = raw
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if not _DIGITS.fullmatch(text):
            raise BadCount(minimum=minimum, maximum=maximum)
        value = int(text)
    if not minimum <= value <= maximum:
        raise BadCount(minimum=minimum, maximum=maximum)
    return value
