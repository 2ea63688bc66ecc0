from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from selfcare.core import clock
from selfcare.portal import session as portal_session

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=12)

PORTAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SessionTimeoutMiddleware:
    """Customer sessions end after 30 idle minutes and 12 hours in all (timestamps kept in the session)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        auth_at = session.get(portal_session.AUTH_AT)
        if auth_at and request.user.is_authenticated:
            now = clock.now()
            seen_at = dt.datetime.fromisoformat(session.get(portal_session.SEEN_AT, auth_at))
            if now - seen_at > IDLE or now - dt.datetime.fromisoformat(auth_at) > ABSOLUTE:
                logout(request)
                request.session["selfcare_notice"] = _("Your session ended. Please log in again.")
                return redirect("portal:login")
            if now - seen_at > dt.timedelta(seconds=30):  # spare a session write on every request
                session[portal_session.SEEN_AT] = now.isoformat()
        return self.get_response(request)


# Django's admin loads every script from a file; it (and the QR code on the enrolment page) still
# uses inline style attributes, so styles may be inline there and nowhere else.
STAFF_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy without 'unsafe-inline' on the portal; the staff site's allows inline styles only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        staff = request.path.startswith(settings.SELFCARE_STAFF_URL_PREFIX)
        response.setdefault("Content-Security-Policy", STAFF_CSP if staff else PORTAL_CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
