"""Tests: fresh random secrets each run; the database comes from DATABASE_URL (SQLite by default)."""

import os
import secrets

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import DATABASE_URL, database_from_url

SECRET_KEY = secrets.token_urlsafe(50)
SELFCARE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if "DATABASE_URL" not in os.environ:
    DATABASES = {"default": database_from_url("sqlite:///:memory:")}
else:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
