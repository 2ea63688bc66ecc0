"""Settings for the benchmarks: the embedded mode's, minus what would time the wrong thing.

DEBUG off (no query log), e-mail dropped after it is rendered (the notice is built, never
sent: no SMTP server is timed), a local-memory cache. The database comes from DATABASE_URL.
"""

from config.settings.local import *  # noqa: F403

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
