"""Embedded mode: SQLite under var/, console e-mail, secrets generated once into var/."""

import json
import secrets

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import SECRET_KEY, SELFCARE_ENCRYPTION_KEYS, VAR_DIR, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)

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
