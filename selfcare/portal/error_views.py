"""Error pages of our own for both sites (no trace, no server banner)."""

from __future__ import annotations

from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400. The session could not be saved after the work was done (the database went away
    between the two, or the session ended meanwhile): say so, rather than blame the request."""
    _forget_unreadable_form(request)
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
