"""The pool's gauges for Prometheus, read at each scrape from the pool tally (the dashboard's own figures).

Registered with ops' scrape-time collector in InventoryConfig.ready: ops knows no app above it.
"""

from __future__ import annotations

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily, Metric

from selfcare.inventory.selectors import pool_summary
from selfcare.ops.collectors import gauge


def pool_gauges() -> list[Metric]:
    summary = pool_summary()
    numbers = GaugeMetricFamily(
        "selfcare_numbers",
        "050 numbers by state: issuable (free and issuable today), waiting (free from a later day: "
        "quarantine or a future import), held (by customers).",
        labels=["state"],
    )
    numbers.add_metric(["issuable"], summary.free_now)
    numbers.add_metric(["waiting"], summary.in_quarantine)
    numbers.add_metric(["held"], summary.assigned)
    threshold = gauge(
        "selfcare_pool_low_threshold",
        "SELFCARE_LOW_POOL_WARNING: the staff dashboard warns below this many issuable numbers.",
        settings.SELFCARE_LOW_POOL_WARNING,
    )
    return [numbers, threshold]
