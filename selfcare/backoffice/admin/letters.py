"""The posted letters: printing (with a progress bar), reprinting, posting."""

from __future__ import annotations

import base64
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from selfcare.audit.services import Actor
from selfcare.backoffice.admin.base import (
    IndexedSearchMixin,
    ReadOnlyMixin,
    StaffAdminMixin,
    StaffMedia,
    no_store,
    shown_moment,
    staff_actor,
)
from selfcare.backoffice.forms import ReprintForm
from selfcare.backoffice.search import Found, Kind, Term, by_customer_found
from selfcare.core.errors import DomainError
from selfcare.letters.models import Letter
from selfcare.orders.models import Application

logger = logging.getLogger(__name__)

# Letters --------------------------------------------------------------------------------------


class UnpostedFilter(admin.SimpleListFilter):
    title = _("posted")
    parameter_name = "posted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("no", _("not yet posted")),
            ("printed", _("printed, not yet posted")),
            ("yes", pgettext_lazy("letter state", "posted")),
            ("stopped", _("posting stopped")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(posted_at__isnull=True, withdrawn_at__isnull=True)
        if self.value() == "printed":
            return queryset.filter(posted_at__isnull=True, withdrawn_at__isnull=True, print_count__gt=0)
        if self.value() == "yes":
            return queryset.filter(posted_at__isnull=False)
        if self.value() == "stopped":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


def letters_found(queryset: QuerySet, term: Term, *, emails: bool = True) -> Found:
    """The letter list's search: as every list of a customer's rows, except that an application number also
    finds the reissue letters of its lines (a reissue letter has no application of its own; it prints its
    line's, and the list shows that one)."""
    if term.kind is not Kind.APPLICATION:
        return by_customer_found(queryset, term, emails=emails)
    applications = Application.objects.filter(application_number__startswith=term.text).order_by().values("pk")
    letters = Letter.objects.order_by()  # no ORDER BY inside a UNION
    of_applications = letters.filter(application_id__in=applications).values("pk")
    of_their_lines = letters.filter(line__application_id__in=applications).values("pk")
    return Found(queryset.filter(pk__in=of_applications.union(of_their_lines)))


@admin.register(Letter)
class LetterAdmin(IndexedSearchMixin, StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = [
        "id",
        "kind",
        "customer",
        "application_number",
        "queued_at",
        "printed_at",
        "print_count",
        "posted_at",
        "posting_stopped",
    ]
    list_filter = [UnpostedFilter, "kind", "queued_at"]
    search_fields = ["customer__user__username", "customer__contract_name", "application__application_number"]
    list_select_related = ["customer__user", "application", "line__application"]
    actions = ["print_letters", "mark_posted"]
    change_list_template = "backoffice/letter_changelist.html"
    change_form_template = "backoffice/letter_change_form.html"

    search_with = staticmethod(letters_found)

    @admin.display(description=_("application"), ordering="application__application_number")
    def application_number(self, letter: Letter) -> str | None:
        """The 申込番号 the letter prints: its own application's, or for a reissue the reissued line's."""
        application = letter.application or (letter.line.application if letter.line is not None else None)
        return application.application_number if application is not None else None

    @admin.display(description=_("posting stopped"), ordering="withdrawn_at")
    def posting_stopped(self, letter: Letter) -> str | None:
        """A letter withdrawn before it was posted: when, and why (its password stopped working first)."""
        if letter.withdrawn_at is None:
            return None
        return f"{shown_moment(letter.withdrawn_at)} {letter.get_withdrawn_reason_display()}"  # as the other times

    @admin.action(description=_("Print the selected letters as one PDF"), permissions=["print"])
    def print_letters(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        from selfcare.letters.services import letters_pdf_make

        ids = list(queryset.order_by("queued_at", "id").values_list("id", flat=True))
        if _refused_as_withdrawn(request, queryset):  # before asking for a reprint's reason: it would be refused
            return None
        reprint = queryset.filter(print_count__gt=0).exists()
        form = ReprintForm(request.POST if "reason" in request.POST else None)
        if reprint and not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _("Print letters again"),
                "form": form,
                "ids": ids,
                "opts": self.opts,
                "action": "print_letters",
            }
            return TemplateResponse(request, "backoffice/reprint.html", context)
        reason = form.cleaned_data["reason"] if reprint else ""
        try:
            pdf = letters_pdf_make(letter_ids=ids, actor=staff_actor(request), reason=reason)
        except DomainError as refusal:
            messages.error(request, str(refusal))
            return None
        # The PDF and the question "did it print?" on one page: nothing is recorded as printed until the answer.
        context = {
            **self.admin_site.each_context(request),
            "title": _("Print the letters, then confirm"),
            "pdf_base64": base64.b64encode(pdf).decode(),
            "ids": ids,
            "reason": reason,
            "opts": self.opts,
        }
        return no_store(TemplateResponse(request, "backoffice/print_confirm.html", context))

    def print_confirm(self, request: HttpRequest) -> HttpResponse:
        """POST: the letters of a PDF came out of the printer; record them as printed."""
        from selfcare.letters.services import letters_print_confirm

        if request.method != "POST" or not self.has_print_permission(request):
            raise PermissionDenied
        ids = [int(pk) for pk in request.POST.getlist("letter") if pk.isdigit() and len(pk) < 12]
        try:
            confirmed = letters_print_confirm(
                letter_ids=ids, actor=staff_actor(request), reason=request.POST.get("reason", "")[:1000]
            )
        except DomainError as refusal:
            messages.error(request, str(refusal))
        else:
            # The next step, posting them, is on the list of letters printed and not yet posted.
            messages.success(
                request,
                format_html(
                    '{} <a href="{}?posted=printed">{}</a>',
                    _("Recorded %(n)d letters as printed.") % {"n": confirmed.printed},
                    reverse("admin:letters_letter_changelist"),
                    _("To the letters printed, not yet posted"),
                ),
            )
            if confirmed.printed_meanwhile:
                messages.warning(
                    request,
                    _(
                        "Letters %(ids)s were also confirmed printed by another member of staff while this PDF was "
                        "out: two paper copies of their passwords exist. Post one and shred the other."
                    )
                    % {"ids": ", ".join(str(pk) for pk in confirmed.printed_meanwhile)},
                )
        return redirect("admin:letters_letter_print")

    def get_urls(self) -> list:
        return [
            path("print/", self.admin_site.admin_view(self.print_view), name="letters_letter_print"),
            path("print/stream/", self.admin_site.admin_view(self.print_stream), name="letters_letter_print_stream"),
            path("print/confirm/", self.admin_site.admin_view(self.print_confirm), name="letters_letter_print_confirm"),
            *super().get_urls(),
        ]

    def print_view(self, request: HttpRequest) -> HttpResponse:
        """The unprinted letters as one PDF, with a progress bar while it renders."""
        if not self.has_print_permission(request):
            raise PermissionDenied
        from selfcare.letters.selectors import letters_unprinted_ids, letters_unprinted_unaddressed

        unaddressed = letters_unprinted_unaddressed()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Print the unprinted letters"),
            "count": len(letters_unprinted_ids()) - len(unaddressed),
            "unaddressed": unaddressed,
            "opts": self.opts,
        }
        return TemplateResponse(request, "backoffice/print_progress.html", context)

    def print_stream(self, request: HttpRequest) -> StreamingHttpResponse:
        """POST: render in a worker thread and stream "progress done total" lines, then the PDF in base64.

        Nothing is recorded as printed here: the page asks the operator to confirm once the pages are out.

        One request from start to end, so any app server can serve it; the PDF (and so the
        passwords) exists only in this process's memory and on the wire to the staff member.
        """
        if request.method != "POST" or not self.has_print_permission(request):
            raise PermissionDenied
        from selfcare.letters.selectors import letters_unprinted_ids, letters_unprinted_unaddressed

        held_back = {letter.pk for letter in letters_unprinted_unaddressed()}  # printed once they have an address
        ids = [pk for pk in letters_unprinted_ids() if pk not in held_back]
        actor = staff_actor(request)
        events = _print_events(ids, actor, translation.get_language())
        return StreamingHttpResponse(events, content_type="text/plain; charset=utf-8")

    @admin.action(description=_("Mark the selected letters as posted"), permissions=["post"])
    def mark_posted(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """First a page of what will be marked and how many; only its button marks them (posting starts the
        clock that destroys the letters' passwords)."""
        from selfcare.letters.errors import LetterNotPrinted
        from selfcare.letters.services import letters_mark_posted

        letters = list(queryset.select_related("customer__user", "application").order_by("queued_at", "id"))
        if request.POST.get("post") != "yes":
            if _refused_as_withdrawn(request, queryset):  # before the confirmation: the service would refuse them
                return None
            unprinted = [letter.pk for letter in letters if letter.posted_at is None and letter.print_count == 0]
            if unprinted:  # refused before asking: the service would refuse the whole selection
                shown = ", ".join(str(pk) for pk in unprinted[:20])
                messages.error(request, str(LetterNotPrinted(ids=shown if len(unprinted) <= 20 else f"{shown} …")))
                return None
            context = {
                **self.admin_site.each_context(request),
                "title": _("Mark these letters as posted?"),
                "to_post": [letter for letter in letters if letter.posted_at is None],
                "already_posted": [letter.pk for letter in letters if letter.posted_at is not None],
                "ids": [letter.pk for letter in letters],
                "retention_days": settings.SELFCARE_SECRETS_RETENTION_DAYS,
                "opts": self.opts,
                "action": "mark_posted",
            }
            return TemplateResponse(request, "backoffice/post_confirm.html", context)
        try:
            count = letters_mark_posted(letter_ids=[letter.pk for letter in letters], actor=staff_actor(request))
        except DomainError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Marked %(n)d letters as posted.") % {"n": count})
        return None

    def has_print_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("letters.print_letter")

    def has_post_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("letters.post_letter")


def _refused_as_withdrawn(request: HttpRequest, queryset: QuerySet) -> bool:
    """Refuse at once a selection holding letters whose posting was stopped (発送中止), naming them: printing or
    posting them would be refused only after the operator had confirmed (or given a reprint's reason)."""
    from selfcare.letters.errors import LetterWithdrawn

    withdrawn = list(
        queryset.filter(withdrawn_at__isnull=False, posted_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    if not withdrawn:
        return False
    shown = ", ".join(str(pk) for pk in withdrawn[:20])
    messages.error(request, str(LetterWithdrawn(ids=shown if len(withdrawn) <= 20 else f"{shown} …")))
    return True


def _print_events(ids: list[int], actor: Actor, language: str) -> Iterator[str]:
    """Lines of "progress DONE TOTAL", then "done TEXT" (what to do next), "ids ID,ID,..." and "pdf BASE64"."""
    from selfcare.letters.services import letters_pdf_make

    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            pdf = letters_pdf_make(letter_ids=ids, actor=actor, progress=lambda n: events.put(("progress", n)))
            events.put(("pdf", pdf))
        except DomainError as refusal:
            events.put(("error", str(refusal)))
        except Exception:
            logger.exception("printing letters failed")
            with translation.override(language):
                events.put(("error", str(_("Printing failed. Nothing was recorded as printed."))))
        finally:
            connection.close()

    threading.Thread(target=work, daemon=True).start()
    done, total = 0, len(ids)
    yield f"progress 0 {total}\n"
    while True:
        kind, value = events.get()
        if kind == "progress":
            done += value
            yield f"progress {done} {total}\n"
        elif kind == "pdf":
            with translation.override(language):
                summary = _(
                    "The PDF of %(n)s letters is ready. Print it, check the pages, then confirm below: until "
                    "then nothing is recorded as printed, and the PDF can be made again."
                )
                yield f"done {summary % {'n': total}}\n"
            yield f"ids {','.join(str(pk) for pk in ids)}\n"
            yield f"pdf {base64.b64encode(value).decode()}\n"
            return
        else:
            yield f"error {value}\n"
            return
