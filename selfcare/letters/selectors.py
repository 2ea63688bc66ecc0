from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery

from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine

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
    lines = Prefetch("application__lines", queryset=IssuedLine.objects.order_by("number_id"))
    for start in range(0, len(letter_ids), CHUNK):
        chunk = letter_ids[start : start + CHUNK]
        loaded = {
            letter.pk: letter
            for letter in Letter.objects.filter(pk__in=chunk)
            .select_related("application", "line__application", "customer__user")
            .prefetch_related(lines)
        }
        for pk in chunk:
            if pk in loaded:
                yield loaded[pk]


def _newest_reissue_letter_posted_at() -> Subquery:
    newest = Letter.objects.filter(line=OuterRef("pk"), kind=Letter.Kind.SIP_PASSWORD_REISSUE).order_by(
        "-queued_at", "-pk"
    )
    return Subquery(newest.values("posted_at")[:1])


def lines_awaiting_reissue_letter(*, line_ids: list[int], posted_before: dt.datetime) -> set[int]:
    """Of these lines, those whose newest reissue letter is not posted yet, or was posted after ``posted_before``.

    Their (reissued) IP phone password must stay until that letter is old enough.
    """
    has_reissue = Exists(Letter.objects.filter(line=OuterRef("pk"), kind=Letter.Kind.SIP_PASSWORD_REISSUE))
    return set(
        IssuedLine.objects.filter(pk__in=line_ids)
        .annotate(has_reissue=has_reissue, reissue_posted_at=_newest_reissue_letter_posted_at())
        .filter(has_reissue=True)
        .filter(Q(reissue_posted_at__isnull=True) | Q(reissue_posted_at__gt=posted_before))
        .values_list("pk", flat=True)
    )


def reissued_passwords_due(*, posted_before: dt.datetime) -> list[IssuedLine]:
    """Lines whose issue passwords are destroyed but which hold a reissued IP phone password whose
    newest reissue letter was posted at or before ``posted_before`` (annotated ``reissue_posted_at``)."""
    return list(
        IssuedLine.objects.filter(secrets_destroyed_at__isnull=False, sip_password_reissued_at__isnull=False)
        .exclude(sip_password_encrypted="")
        .annotate(reissue_posted_at=_newest_reissue_letter_posted_at())
        .filter(reissue_posted_at__lte=posted_before)
        .select_related("application")
        .order_by("number_id", "pk")
    )


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
