from __future__ import annotations

from typing import Any

from django.conf import settings

from selfcare.inventory import selectors


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


def dashboard_context() -> dict[str, Any]:
    summary = selectors.pool_summary()
    threshold = settings.SELFCARE_LOW_POOL_WARNING
    return {
        "pool": summary,
        "pool_low": selectors.pool_is_low(threshold=threshold),
        "pool_threshold": threshold,
        "releases": _bars(selectors.quarantine_releases_by_month(months=12), "%y/%m"),
        "additions": _bars(selectors.additions_by_week(weeks=12), "%m/%d"),
    }
