"""Base class for refusals the domain explains to people.

Each app keeps its own subclasses in ``errors.py``. A refusal carries a stable
``code`` (for audit records and tests) and a translatable message that the web
layer, the admin and the commands show as they are.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: str = "error"
    message: str | Promise = "The request was refused."

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(str(self))

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


class Busy(DomainError):
    """A row this request must lock stayed locked by another for longer than the bounded wait."""

    code = "busy"
    message = _("The system is busy right now. Nothing was changed. Please try again in a moment.")
