"""Production: every secret from the environment, TLS-only cookies, no debug."""

import os

from django.core.exceptions import ImproperlyConfigured

from selfcare.ops.logs import logging_config

from .base import *  # noqa: F403
from .base import LOG_LEVEL, SECRET_KEY, SELFCARE_ENCRYPTION_KEYS, env_bool, env_int

DEBUG = False

# One JSON object a line, with the request id, for the log collector (SELFCARE_LOG_FORMAT=text to read by eye).
SELFCARE_LOG_FORMAT = os.environ.get("SELFCARE_LOG_FORMAT", "json")
LOGGING = logging_config(log_format=SELFCARE_LOG_FORMAT, level=LOG_LEVEL)

if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if not SELFCARE_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("SELFCARE_ENCRYPTION_KEYS must be set in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# The load balancer checks the app servers, and Prometheus scrapes each of them, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Submitting the domain to the browsers' preload list is the carrier's decision, not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# collectstatic writes every file also under a name carrying a hash of its content
# (portal.3f2a1c0d9e8b.css), which {% static %} links to; nginx serves those with a one-year,
# immutable cache (deploy/nginx-selfcare.conf). Tests and the local run keep plain storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
