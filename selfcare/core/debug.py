"""Error reports that hide what ``sensitive_variables`` and ``sensitive_post_parameters`` mark, debug pages too.

Django cleanses marked variables and POST fields only when DEBUG is off; its debug page shows
them. The login steps handle passwords and one-time codes, and a debug page turned on for a
demo is still seen by whoever reaches the server, so here the marks hold in every mode.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class ReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True
