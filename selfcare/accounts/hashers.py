"""The password hasher: Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), not Django's 100 MiB × 8 lanes.

Every customer login costs one hash check, so its cost is paid per login by the app servers:
with Django's parameters about 0.2 s of CPU and 100 MB of memory, with these a tenth of each
(docs/benchmarks.md, "Login storm"). The algorithm name stays ``argon2``: hashes made with other
parameters still verify, and ``must_update()`` (which compares the parameters) has them rewritten
with these at the next successful login that checks the password with a setter.

To raise the cost later, change the numbers here: older hashes are upgraded at their next login.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id (Django's type), 19 MiB of memory, 2 passes, 1 lane: OWASP's Password Storage Cheat Sheet minimum."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
