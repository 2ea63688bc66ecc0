"""gunicorn settings of an app server: every worker's metrics summed on /metrics, the request id in the access log.

    export PROMETHEUS_MULTIPROC_DIR=/run/selfcare/metrics   # this host's own directory, on tmpfs
    gunicorn -c deploy/gunicorn.conf.py config.wsgi --bind 0.0.0.0:8000 --workers 4 --timeout 30

See docs/metrics-and-logs.md (*Several worker processes*).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# gunicorn's own access line, with the id nginx made (the app echoes it in X-Request-ID). The path without its
# query string (%(U)s, not the request line %(r)s) and no referer: a key or token a client put in a URL by
# mistake is never written to the log.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms request_id=%({x-request-id}o)s'
)


def on_starting(server: Any) -> None:
    """Empty the metrics directory before the first worker starts: a previous run's counts would be added to this one's.

    Prometheus reads the drop to zero as a restart of the counters, as it does for any restarted process.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker that ended keeps its counts (they are summed still); only its live gauges go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
