"""The database cache, with counters that stay right under concurrency.

Django's ``DatabaseCache.incr`` is a read followed by a write: two app servers
counting the same key at once both read 7 and both write 8, and the write also
resets the key's expiry to the default timeout. The login throttles count with
``incr``, so here it is one transaction that locks the row (``FOR UPDATE`` on
PostgreSQL; on SQLite the IMMEDIATE transaction holds the write lock), adds,
and keeps the expiry the key was given by ``add``.

Its table is created by the core app's migrations, so ``migrate`` alone leaves
a database the cache works on.

``count_in_window`` is the one way the throttles count attempts in the cache (any backend).
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now

TABLE = "selfcare_cache"


def count_in_window(key: str, *, seconds: int) -> int:
    """Count one attempt under ``key`` in a window of ``seconds`` from its first; the count, this one included.

    The caller counts first and atomically, before any work, then refuses past its allowance:
    ``add`` opens the window with its expiry, ``incr`` counts on without resetting it (Redis,
    the local cache and this module's DatabaseCache), so a burst of parallel attempts cannot all
    pass a check before any of them is counted. A window that expires between ``add`` and
    ``incr`` is opened again by this attempt.
    """
    if cache.add(key, 1, seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, seconds)
        return 1


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)  # type: ignore[attr-defined]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table} WHERE {quote('cache_key')} = %s{lock}",  # noqa: S608 (quoted names)
                [key],
            )
            row = cursor.fetchone()
            if row is None or self._expired(connection, row[1]):
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301 (written by this cache)
            stored = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",  # noqa: S608
                [stored, key],
            )
        return int(value)

    def decr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self.incr(key, -delta, version=version)

    @staticmethod
    def _expired(connection: Any, expires: Any) -> bool:
        expression = models.Expression(output_field=models.DateTimeField())
        for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
            expires = converter(expires, expression, connection)
        return bool(expires < tz_now())
