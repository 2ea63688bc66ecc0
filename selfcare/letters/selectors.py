from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q

from selfcare.letters.models import Letter

CHUNK = 500


def letters_unprinted_ids() -> list[int]:
    return list(
        Letter.objects.filter(print_count=0, posted_at__isnull=True, withdrawn_at__isnull=True)
        .order_by("queued_at", "pk")
        .values_list("pk", flat=True)
    )


def letters_in_print_order(*, letter_ids: list[int]) -> list[int]:
    """The ids that exist, in the order they were queued (the order of the pages)."""
    return list(Letter.objects.filter(pk__in=letter_ids).order_by("queued_at", "pk").values_list("pk", flat=True))


def letters_for_printing(*, letter_ids: list[int]) -> Iterator[Letter]:
    """The letters with their application and lines (or, for a reissue, their one line) loaded,
    a few hundred at a time, in the order given."""
    for start in range(0, len(letter_ids), CHUNK):
        chunk = letter_ids[start : start + CHUNK]
        loaded = {
            letter.pk: letter
            for letter in Letter.objects.filter(pk__in=chunk)
            .select_related("application", "line__application", "customer__user")
            .prefetch_related("application__lines")  # in number order (the lines' ordering)
        }
        for pk in chunk:
            if pk in loaded:
                yield loaded[pk]


def letters_unprinted_unaddressed() -> list[Letter]:
    """Unprinted letters that cannot be printed: no postal code or address, neither on the letter nor the customer."""
    letter_lacks = Q(postal_code="") | Q(address="")
    customer_lacks = Q(customer__postal_code="") | Q(customer__address="")
    return list(
        Letter.objects.filter(print_count=0, posted_at__isnull=True, withdrawn_at__isnull=True)
        .filter(letter_lacks)
        .filter(customer_lacks)
        .select_related("customer__user")
        .order_by("queued_at", "pk")
    )


def letters_waiting() -> tuple[int, int]:
    """(unprinted, printed but not posted): counted along the partial index of unposted letters."""
    from django.db.models import Count

    counts = Letter.objects.filter(posted_at__isnull=True, withdrawn_at__isnull=True).aggregate(
        unprinted=Count("pk", filter=Q(print_count=0)), unposted=Count("pk", filter=Q(print_count__gt=0))
    )
    return counts["unprinted"], counts["unposted"]
