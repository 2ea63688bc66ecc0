from __future__ import annotations

import logging
from typing import Any

import prometheus_client
from django.core.management.base import BaseCommand, CommandParser

from selfcare.jobs.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the background jobs: e-mail notices, registrar clean-ups, the daily jobs (enqueued by the worker "
        "itself). Failed attempts are tried again with backoff. Run as many as you like, on any host."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--until-empty", action="store_true", help="Run every job that is due now, then exit (tests, operators)."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between looks when nothing is due (default 1)."
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=0,
            help="Serve this worker's counters for Prometheus on this port (0: do not).",
        )
        parser.add_argument(
            "--metrics-address",
            default="127.0.0.1",
            help="The address the metrics port listens on (default 127.0.0.1; an internal address, never public).",
        )
        parser.add_argument(
            "--no-schedules", action="store_true", help="Do not enqueue the periodic jobs (another worker does)."
        )

    def handle(self, *args: Any, until_empty: bool, interval: float, no_schedules: bool, **options: Any) -> None:
        if options["metrics_port"]:
            prometheus_client.start_http_server(options["metrics_port"], addr=options["metrics_address"])
        if options["verbosity"] >= 1 and not logging.getLogger("selfcare.jobs").handlers:
            logging.getLogger("selfcare.jobs").setLevel(logging.INFO)
        worker = Worker(until_empty=until_empty, interval=max(interval, 0.1), schedules=not no_schedules)
        worker.signals_handle()
        ran = worker.run()
        if until_empty and options["verbosity"] >= 1:
            self.stdout.write(f"{ran} jobs run; none is due now.")
