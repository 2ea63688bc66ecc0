"""How a key's scopes and an endpoint's events read on a screen: the words of the forms, then the code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from selfcare.integrations.models import EVENTS, SCOPES


@dataclass(frozen=True)
class Label:
    text: str
    """In the reader's language, as the forms say it."""
    code: str
    """As the API and the webhook messages write it."""


def scope_labels(codes: Iterable[str]) -> list[Label]:
    return [Label(str(SCOPES.get(code, code)), code) for code in codes]


def event_labels(codes: Iterable[str]) -> list[Label]:
    return [Label(str(EVENTS.get(code, code)), code) for code in codes]
