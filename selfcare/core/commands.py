"""What every management command shares: refusals become clear messages and a non-zero exit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from selfcare.core.errors import DomainError


@contextmanager
def refusals_as_command_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise CommandError(str(exc)) from None
    except ValidationError as exc:
        raise CommandError(" ".join(str(m) for m in exc.messages)) from None


def iso_date(value: str) -> dt.date:
    """argparse type for YYYY-MM-DD."""
    import argparse

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def non_negative_int(value: str) -> int:
    import argparse

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is negative")
    return number
