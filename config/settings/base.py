"""Settings shared by every mode, read from the environment.

Every variable is documented in the README. The embedded mode (``local``) fills
in safe defaults; ``production`` refuses to start without the secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from selfcare.ops.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SELFCARE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# Addresses (or networks) of the load balancers whose X-Forwarded-For is believed; empty: none.
SELFCARE_TRUSTED_PROXIES = env_list("SELFCARE_TRUSTED_PROXIES")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "selfcare.backoffice.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "selfcare.core",
    "selfcare.audit",
    "selfcare.jobs",
    "selfcare.ops",
    "selfcare.accounts",
    "selfcare.inventory",
    "selfcare.orders",
    "selfcare.letters",
    "selfcare.registrar",
    "selfcare.idempotency",
    "selfcare.integrations",
    "selfcare.secrets",
    "ninja",
    "selfcare.api",
    "selfcare.portal",
    "selfcare.backoffice",
    "selfcare.demo",
]

MIDDLEWARE = [
    # First: the request id binds everything below it, and the latency covers the whole stack.
    "selfcare.ops.middleware.RequestIdMiddleware",
    "selfcare.ops.middleware.RequestMetricsMiddleware",
    "selfcare.core.middleware.ForwardedForMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "selfcare.portal.middleware.SessionTimeoutMiddleware",
    "selfcare.portal.middleware.SecurityHeadersMiddleware",
    "selfcare.portal.middleware.BusyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' own: the admin's list templates the staff site changes (pagination.html with its
        # capped count, actions.html), which Django's admin app would otherwise find first.
        "DIRS": [BASE_DIR / "selfcare" / "backoffice" / "admin_overrides"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "selfcare.portal.context_processors.carrier",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    # Kept connections are checked before each request's first query, so a restarted database
    # costs no request an error once it is back.
    single_url, hosts, ports = _split_hosts(url)
    config: dict = dict(
        dj_database_url.parse(single_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True)
    )
    if len(hosts) > 1:
        # libpq tries the hosts in turn; with ?target_session_attrs=read-write it keeps the one
        # that takes writes, so a promoted standby is found without changing any setting.
        config["HOST"], config["PORT"] = ",".join(hosts), ",".join(ports)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write
        # lock at BEGIN, so two allocations never interleave their reads.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def _split_hosts(url: str) -> tuple[str, list[str], list[str]]:
    """libpq's several-host form, ``postgres://user@db1:5432,db2:5432/selfcare``, which dj-database-url
    refuses: the URL with only its first host, and every host and port (an empty port: the default)."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    userinfo, at, hostlist = authority.rpartition("@")
    if not sep or "," not in hostlist:
        return url, [], []
    hosts, ports = [], []
    for entry in hostlist.split(","):
        host, colon, port = entry.rpartition(":")
        if not colon or not port.isdigit():  # no port: "db2", "[2001:db8::2]"
            host, port = entry, ""
        hosts.append(host.strip("[]"))
        ports.append(port)
    return f"{scheme}://{userinfo}{at}{hostlist.split(',')[0]}{slash}{tail}", hosts, ports


DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'selfcare.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["selfcare.accounts.backends.UserBackend"]
# Argon2id at OWASP's minimum (selfcare/accounts/hashers.py); hashes with other parameters are upgraded at login.
PASSWORD_HASHERS = [
    "selfcare.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "selfcare.accounts.validators.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "selfcare.accounts.validators.PredictablePasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
SELFCARE_STAFF_URL_PREFIX = "/staff/"
LOGIN_URL = "portal:login"

# Sessions live in the database, every app server sees them, and are read through the shared
# cache (one query less on every request; a flushed cache only costs that query again).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
LANGUAGE_COOKIE_NAME = "selfcare_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
STATIC_ROOT = VAR_DIR / "static"

# E-mail: SMTP when EMAIL_HOST is set, the console otherwise.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "selfcare@localhost")

CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            # Django's database cache with an atomic incr; its table comes from core's migrations.
            "BACKEND": "selfcare.core.cache.DatabaseCache",
            "LOCATION": "selfcare_cache",
        }
    }

# Credentials of issued numbers are encrypted with the first key; every key in
# the list can decrypt, so a new key goes first and old ones stay until
# `rotate_encryption_keys` has re-encrypted everything.
SELFCARE_ENCRYPTION_KEYS = env_list("SELFCARE_ENCRYPTION_KEYS")

# The carrier, as the customer sees it.
SELFCARE_CARRIER_NAME = os.environ.get("SELFCARE_CARRIER_NAME", "IP電話サービス")
SELFCARE_SUPPORT_PHONE = os.environ.get("SELFCARE_SUPPORT_PHONE", "0120-000-000")
SELFCARE_SERVICE_SITE_URL = os.environ.get("SELFCARE_SERVICE_SITE_URL", "https://example.invalid/")
SELFCARE_SENDER_ADDRESS = os.environ.get("SELFCARE_SENDER_ADDRESS", "")
SELFCARE_LETTER_FONT = os.environ.get("SELFCARE_LETTER_FONT", "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")

# Business rules (docs/rules.md), each a setting.
SELFCARE_MAX_NUMBERS_PER_APPLICATION = env_int("SELFCARE_MAX_NUMBERS_PER_APPLICATION", 50)
SELFCARE_DEFAULT_ADDITION_LIMIT = env_int("SELFCARE_DEFAULT_ADDITION_LIMIT", 50)
SELFCARE_QUARANTINE_MONTHS = env_int("SELFCARE_QUARANTINE_MONTHS", 6)
SELFCARE_SERVICE_PIN_LENGTH = env_int("SELFCARE_SERVICE_PIN_LENGTH", 4)
SELFCARE_SIP_PASSWORD_LENGTH = env_int("SELFCARE_SIP_PASSWORD_LENGTH", 12)
SELFCARE_SECRETS_RETENTION_DAYS = env_int("SELFCARE_SECRETS_RETENTION_DAYS", 30)
SELFCARE_SHOW_PASSWORDS_MINUTES = env_int("SELFCARE_SHOW_PASSWORDS_MINUTES", 30)
SELFCARE_LOW_POOL_WARNING = env_int("SELFCARE_LOW_POOL_WARNING", 1000)
# The longest a request waits for a row another transaction holds before it is refused as busy.
SELFCARE_LOCK_TIMEOUT_MS = env_int("SELFCARE_LOCK_TIMEOUT_MS", 5000)
OTP_TOTP_ISSUER = SELFCARE_CARRIER_NAME + " back office"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no one, superusers included, reads another person's TOTP key

# The SIP registrar (Kamailio) where the phones register with the 050 number and the IP phone
# password (docs/registrar.md). The HA1 digests stored per line are computed with this realm:
# changing it (or the domain, for ha1b) means reissuing every IP phone password.
SELFCARE_SIP_DOMAIN = os.environ.get("SELFCARE_SIP_DOMAIN", "sip.example.invalid")
SELFCARE_SIP_REALM = os.environ.get("SELFCARE_SIP_REALM", "") or SELFCARE_SIP_DOMAIN
# The read-only database role the registrar reads the subscriber view as (created NOLOGIN by migrate).
SELFCARE_REGISTRAR_DB_ROLE = os.environ.get("SELFCARE_REGISTRAR_DB_ROLE", "selfcare_registrar")
# Kamailio's control socket for kamcmd (e.g. unixs:/run/kamailio/kamailio_ctl); empty: no live control.
SELFCARE_REGISTRAR_CTL = os.environ.get("SELFCARE_REGISTRAR_CTL", "")
SELFCARE_KAMCMD = os.environ.get("SELFCARE_KAMCMD", "/usr/sbin/kamcmd")

# Background jobs (docs/operations.md, *Jobs*): stored in the database, in the same transaction as
# the change that asks for them, and run by `manage.py jobs_worker`.
TASKS = {"default": {"BACKEND": "selfcare.jobs.backend.RequestIdDatabaseBackend", "QUEUES": ["default"]}}
# A running job whose worker has not been seen for this long is given to another worker.
SELFCARE_JOBS_WORKER_LOST_SECONDS = env_int("SELFCARE_JOBS_WORKER_LOST_SECONDS", 60)

# The business API (docs/api.md): keys, idempotent requests, rate limits, signed webhooks.
# The API keys' stored hashes are HMAC-SHA256 under this key (default: derived from DJANGO_SECRET_KEY;
# set it apart in production, so that changing the secret key does not void every API key).
SELFCARE_API_KEY_SECRET = os.environ.get("SELFCARE_API_KEY_SECRET", "")
SELFCARE_API_RATE_PER_MINUTE = env_int("SELFCARE_API_RATE_PER_MINUTE", 120)
SELFCARE_API_AUTH_FAILURES_PER_15_MINUTES = env_int("SELFCARE_API_AUTH_FAILURES_PER_15_MINUTES", 30)
SELFCARE_API_KEYS_PER_CUSTOMER = env_int("SELFCARE_API_KEYS_PER_CUSTOMER", 20)
# An idempotency key is kept this long; a request waits this long for another still running with its
# key, and a request that has not finished within the lease (a crashed worker) may be taken over.
SELFCARE_IDEMPOTENCY_KEEP_HOURS = env_int("SELFCARE_IDEMPOTENCY_KEEP_HOURS", 24)
SELFCARE_IDEMPOTENCY_WAIT_MS = env_int("SELFCARE_IDEMPOTENCY_WAIT_MS", 8000)
SELFCARE_IDEMPOTENCY_LEASE_SECONDS = env_int("SELFCARE_IDEMPOTENCY_LEASE_SECONDS", 60)
SELFCARE_WEBHOOK_ENDPOINTS_PER_CUSTOMER = env_int("SELFCARE_WEBHOOK_ENDPOINTS_PER_CUSTOMER", 5)
SELFCARE_WEBHOOK_TIMEOUT_SECONDS = env_int("SELFCARE_WEBHOOK_TIMEOUT_SECONDS", 10)
# Only for tests and demos: webhook endpoints over plain http and on loopback or private addresses.
SELFCARE_WEBHOOK_ALLOW_PRIVATE = env_bool("SELFCARE_WEBHOOK_ALLOW_PRIVATE", False)

# Passwords and codes marked sensitive stay hidden on error reports, the debug page included.
DEFAULT_EXCEPTION_REPORTER_FILTER = "selfcare.core.debug.ReporterFilter"

# Logs (docs/metrics-and-logs.md): "json", one object a line with the request id (production's default),
# or "text" for a person reading a console.
SELFCARE_LOG_FORMAT = os.environ.get("SELFCARE_LOG_FORMAT", "text")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = logging_config(log_format=SELFCARE_LOG_FORMAT, level=LOG_LEVEL)

# Who may read /metrics: the Prometheus servers' addresses or networks, judged on the address that connected
# (never on X-Forwarded-For); everyone else is answered 404.
SELFCARE_METRICS_ALLOWED = env_list("SELFCARE_METRICS_ALLOWED", ["127.0.0.1", "::1"])
