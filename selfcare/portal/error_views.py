"""Error pages of our own for both sites (no trace, no server banner)."""

from __future__ import annotations

import sys

from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403: on the staff site a staff page (what the role may not do, back to the dashboard), not the
    customer portal's page with its customer-centre number and menu."""
    if _on_staff_site(request):
        return _staff_error(
            request,
            403,
            _("Not allowed"),
            _("Your role does not allow this page. Ask an administrator if your work needs it."),
        )
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _on_staff_site(request):
        return _staff_error(request, 404, _("Page not found"), _("There is no such page or record on the staff site."))
    return render(request, "404.html", status=404)


def _on_staff_site(request: HttpRequest) -> bool:
    return request.path.startswith("/staff/")


def _staff_error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    from django.contrib import admin

    context = {**admin.site.each_context(request), "title": title, "message": message}
    return render(request, "backoffice/error.html", context, status=status)


# Long enough for a standby to be promoted (docs/operations.md, Failover).
DATABASE_RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    """500: our standalone page, which tells a customer in the middle of 050番号追加申込 to look at
    申込履歴 before pressing again. A database out of reach (its primary lost, a standby being
    promoted) is 503 with Retry-After on the same page: the request may simply be repeated, and an
    app server's next request connects to whichever server then takes writes."""
    page = loader.get_template("500.html").render()  # no context: nothing that could need the database
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(page, status=500)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400. The session could not be saved after the work was done (the database went away
    between the two, or the session ended meanwhile): say so, rather than blame the request."""
    _forget_unreadable_form(request)
    if _on_staff_site(request) and not isinstance(exception, SessionInterrupted):
        return _staff_error(
            request,
            400,
            _("Request not understood"),
            _(
                "The address or the form holds something the staff site cannot read (a filter or a value it "
                "does not know). Go back and choose it on the page."
            ),
        )
    return _bad_request_page(request, exception)


def _forget_unreadable_form(request: HttpRequest) -> None:
    """Read a form body Django refuses to parse (url-encoded, but in a charset other than UTF-8) as empty.

    Django raises that BadRequest again on every read of request.POST, and the CSRF check that
    ``requires_csrf_token`` runs for the page reads it: the 400 would become a 500.
    """
    try:
        request.POST  # noqa: B018 - reading it is the point
    except BadRequest:
        request.POST = QueryDict()


@requires_csrf_token
def _bad_request_page(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, SessionInterrupted):
        return render(request, "session_interrupted.html", status=400)
    return render(request, "400.html", status=400)
