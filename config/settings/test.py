"""Tests: fresh random secrets each run; the database comes from DATABASE_URL (SQLite by default)."""

import os
import secrets

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import DATABASE_URL, PASSWORD_HASHERS, database_from_url

SECRET_KEY = secrets.token_urlsafe(50)
SELFCARE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Argon2 costs ~0.2 s a hash and the tests log in thousands of times: MD5 first, the production
# hashers after it (their hashes still check). A test about the hashing itself asks for the
# ``argon2`` fixture (conftest.py), which puts PRODUCTION_PASSWORD_HASHERS back.
PRODUCTION_PASSWORD_HASHERS = list(PASSWORD_HASHERS)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]

if "DATABASE_URL" not in os.environ:
    DATABASES = {"default": database_from_url("sqlite:///:memory:")}
else:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
