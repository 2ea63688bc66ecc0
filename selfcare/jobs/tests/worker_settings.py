"""A real worker process in the tests: the test settings, sending its e-mail by SMTP to a local server."""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["SELFCARE_TEST_SMTP_PORT"])
EMAIL_TIMEOUT = 60
