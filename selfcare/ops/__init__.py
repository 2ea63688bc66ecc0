"""Operations: Prometheus metrics, JSON logs with a request id, the readiness check (docs/metrics-and-logs.md).

``metrics``, ``request_id`` and ``logs`` import nothing of the other apps: any app may call them. The
scrape-time gauges (``collectors``) and the views read the domain apps, like a user interface does.
"""
