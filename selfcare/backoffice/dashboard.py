from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from selfcare.accounts.selectors import customers_locked_count
from selfcare.core import clock
from selfcare.inventory import selectors
from selfcare.inventory.tally import issued_by_week
from selfcare.letters.selectors import letters_waiting
from selfcare.orders.selectors import applications_since, cancellations_pending_count

MONTHS = 12
"""The coming months the dashboard looks at, in its chart and its table alike: numbers come back from a
quarantine of SELFCARE_QUARANTINE_MONTHS (6) after a cancellation that may take effect months later."""
WEEKS = 12
"""The past weeks of numbers added."""


def _bars(series: list[tuple[Any, int]], label_format: str) -> dict[str, Any]:
    """Data for a server-drawn SVG bar chart (no script needed)."""
    peak = max((count for _day, count in series), default=0) or 1
    width = 36
    bars = [
        {
            "x": i * width + 4,
            "height": round(160 * count / peak),
            "y": 180 - round(160 * count / peak),
            "label": day.strftime(label_format),
            "count": count,
            "label_x": i * width + 4 + (width - 8) / 2,
        }
        for i, (day, count) in enumerate(series)
    ]
    return {"bars": bars, "width": len(series) * width + 8, "bar_width": width - 8}


def _issuable_by_month(free_now: int, releases: list[tuple[dt.date, int]]) -> list[dict[str, Any]]:
    """Each coming month: the numbers that become issuable in it, and how many can be issued by its end."""
    rows, running = [], free_now
    for month, count in releases:
        running += count
        rows.append({"month": month, "released": count, "issuable": running})
    return rows


def dashboard_context() -> dict[str, Any]:
    """The operator's morning questions: letters to print and post, locked logins, today's and this week's
    applications, numbers issuable now and month by month (the same ``MONTHS`` in the table and the chart).
    Each figure is one indexed query or a read of the pool tally or of the numbers issued by day: none reads
    a big table whole, and none grows with the pool but today's and this week's applications."""
    summary = selectors.pool_summary()
    # A number whose cancellation takes effect later is still held (docs/rules.md, "Names on the screens"),
    # though the pool counts it free from the end of its quarantine already.
    pending = cancellations_pending_count(today=clock.today())
    summary = dataclasses.replace(
        summary, assigned=summary.assigned + pending, in_quarantine=summary.in_quarantine - pending
    )
    threshold = settings.SELFCARE_LOW_POOL_WARNING
    now = clock.now()
    today = clock.today()
    carrier_tz = timezone.get_default_timezone()
    start_of_day = dt.datetime.combine(today, dt.time.min, tzinfo=carrier_tz)
    monday = today - dt.timedelta(days=today.weekday())
    start_of_week = dt.datetime.combine(monday, dt.time.min, tzinfo=carrier_tz)
    unprinted, unposted = letters_waiting()
    releases = selectors.quarantine_releases_by_month(months=MONTHS)
    return {
        "pool": summary,
        "pool_low": selectors.pool_is_low(threshold=threshold),
        "pool_threshold": threshold,
        "releases": _bars(releases, "%y/%m"),
        "additions": _bars(issued_by_week(weeks=WEEKS), "%m/%d"),
        "letters_unprinted": unprinted,
        "letters_unposted": unposted,
        "customers_locked": customers_locked_count(now=now),
        # Along the jobs' partial index of those not done (ops migration 0001): never the done ones.
        "jobs_failed": DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count(),
        "applications_today": applications_since(since=start_of_day),
        "applications_week": applications_since(since=start_of_week),
        "today_from": start_of_day.isoformat(),
        "week_from": start_of_week.isoformat(),
        "issuable_by_month": _issuable_by_month(summary.free_now, releases),
        "billing_month": clock.add_months(today.replace(day=1), -1),  # the month usually billed: the last one over
    }
