"""The one place the domain asks what time it is.

Tests move the clock with time-machine; nothing in the domain calls
``datetime.now()`` or ``date.today()`` directly.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    """The carrier's calendar date (settings.TIME_ZONE), not the server's or UTC's."""
    return timezone.localdate(now())


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's end: 2024-08-31 + 6 = 2025-02-28."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last_day))
