"""Embedded mode: SQLite under var/, console e-mail, secrets generated once into var/."""

import json
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import SECRET_KEY, SELFCARE_ENCRYPTION_KEYS, VAR_DIR, env_bool

# Debug pages only when asked for: they show settings and stack frames to whoever reaches the server.
DEBUG = env_bool("DJANGO_DEBUG", False)

VAR_DIR.mkdir(parents=True, exist_ok=True)
_secrets_file = VAR_DIR / "local-secrets.json"
if not _secrets_file.exists():
    _secrets_file.touch(mode=0o600)
    _secrets_file.write_text(
        json.dumps(
            {
                "secret_key": secrets.token_urlsafe(50),
                "encryption_key": Fernet.generate_key().decode(),
            }
        )
    )
_local = json.loads(_secrets_file.read_text())
SECRET_KEY = SECRET_KEY or _local["secret_key"]
SELFCARE_ENCRYPTION_KEYS = SELFCARE_ENCRYPTION_KEYS or [_local["encryption_key"]]

# The embedded database holds the customers' data: readable by its owner only. Created empty here
# with that mode, so SQLite never makes it (or its -wal and -shm files, which take the main file's
# mode) with the process's umask.
_sqlite = DATABASES["default"]["NAME"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else None  # noqa: F405
if _sqlite and str(_sqlite) != ":memory:":
    _sqlite_path = Path(_sqlite)
    _sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_path.touch(mode=0o600)
    _sqlite_path.chmod(0o600)

# SQLite builds the applications' covering index without its INCLUDE column (PostgreSQL keeps it): the same
# index, one column narrower; nothing to act on in the embedded mode.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
