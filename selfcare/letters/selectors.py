from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch

from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine

CHUNK = 500


def letters_unprinted_ids() -> list[int]:
    return list(
        Letter.objects.filter(print_count=0, posted_at__isnull=True)
        .order_by("queued_at", "pk")
        .values_list("pk", flat=True)
    )


def letters_in_print_order(*, letter_ids: list[int]) -> list[int]:
    """The ids that exist, in the order they were queued (the order of the pages)."""
    return list(Letter.objects.filter(pk__in=letter_ids).order_by("queued_at", "pk").values_list("pk", flat=True))


def letters_for_printing(*, letter_ids: list[int]) -> Iterator[Letter]:
    """The letters with their application and lines loaded, a few hundred at a time, in the order given."""
    lines = Prefetch("application__lines", queryset=IssuedLine.objects.order_by("number_id"))
    for start in range(0, len(letter_ids), CHUNK):
        chunk = letter_ids[start : start + CHUNK]
        loaded = {
            letter.pk: letter
            for letter in Letter.objects.filter(pk__in=chunk).select_related("application").prefetch_related(lines)
        }
        for pk in chunk:
            if pk in loaded:
                yield loaded[pk]
