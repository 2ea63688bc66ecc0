"""Error reports that never show a frame's variables or a form's values, debug pages included.

A secret can sit in any frame: a typed password in a login step, a TOTP key inside django-otp,
a digest or an encrypted password among the parameters of a failing query. Marking each with
``sensitive_variables`` misses whatever the next change adds, and Django honours the marks only
when DEBUG is off. So every report (the debug page, the error e-mails and logs that use this
filter) shows the traceback and the code of each frame, but none of their variables and none of
the POST values; settings are cleansed by name as Django does.
"""

from __future__ import annotations

from collections.abc import ItemsView
from typing import Any

from django.http import HttpRequest, QueryDict
from django.views.debug import SafeExceptionReporterFilter


class ReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None:
            return {}
        cleansed = request.POST.copy() if isinstance(request.POST, QueryDict) else {}
        for name in list(cleansed):
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> ItemsView[str, Any]:
        return dict.fromkeys(tb_frame.f_locals, self.cleansed_substitute).items()
