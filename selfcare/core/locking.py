"""Bounded lock waits: a row lock waits at most ``SELFCARE_LOCK_TIMEOUT_MS``, then the request is refused.

Without a bound, a transaction stuck on a row (a slow print run, a hung worker holding a
customer) makes every request that needs the row hang with it until the load balancer gives up,
and the app servers' workers run out. Each lock in the ``lock_objects`` modules is taken inside
``bounded_lock_wait()``: on PostgreSQL ``lock_timeout`` is set for the rest of the transaction
(``set_config(..., is_local => true)``, as ``SET LOCAL`` does), and a wait that runs out becomes
``Busy``, a refusal the screens show as "busy, try again" after the transaction has rolled back.

On SQLite there are no row locks: ``BEGIN IMMEDIATE`` waits for the database's write lock up to
the connection's ``timeout``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection

from selfcare.core.errors import Busy

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock wait past lock_timeout


@contextmanager
def bounded_lock_wait() -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{settings.SELFCARE_LOCK_TIMEOUT_MS}ms"])
    try:
        yield
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise Busy() from exc
        raise
