from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from selfcare.core import clock
from selfcare.core.errors import Busy
from selfcare.portal import session as portal_session

IDLE = dt.timedelta(minutes=30)
STAFF_IDLE = dt.timedelta(minutes=15)
ABSOLUTE = dt.timedelta(hours=12)

PORTAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SessionTimeoutMiddleware:
    """Sessions end after 30 idle minutes (staff: 15) and 12 hours in all (timestamps kept in the session).

    The portal stamps the session when its second login step passes; the staff site's login does
    not, so a staff session is stamped at its first request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        now = clock.now()
        auth_at = session.get(portal_session.AUTH_AT)
        if auth_at is None:
            if user.is_staff:
                session[portal_session.AUTH_AT] = session[portal_session.SEEN_AT] = now.isoformat()
            return self.get_response(request)
        seen_at = dt.datetime.fromisoformat(session.get(portal_session.SEEN_AT, auth_at))
        idle = STAFF_IDLE if user.is_staff else IDLE
        if now - seen_at > idle or now - dt.datetime.fromisoformat(auth_at) > ABSOLUTE:
            return self._ended(request, staff=user.is_staff)
        if now - seen_at > dt.timedelta(seconds=30):  # spare a session write on every request
            session[portal_session.SEEN_AT] = now.isoformat()
        return self.get_response(request)

    @staticmethod
    def _ended(request: HttpRequest, *, staff: bool) -> HttpResponse:
        logout(request)
        if staff:
            messages.info(request, _("Your session ended. Please log in again."))
            next_url = request.get_full_path() if request.method == "GET" else ""
            login_url = reverse("admin:login")
            return redirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)
        request.session["selfcare_notice"] = _("Your session ended. Please log in again.")
        # Back to the same page after logging in again (the login view checks it is one of ours).
        next_url = request.get_full_path() if request.method == "GET" else ""
        login_url = reverse("portal:login")
        return redirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)


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


class BusyMiddleware:
    """A ``Busy`` refusal no view caught (a row stayed locked past the bounded wait) is a page, not a 500.

    The transaction was rolled back, so nothing changed and the request may simply be repeated:
    503 with ``Retry-After``, on every page of both sites.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Busy):
            return None
        response = render(request, "busy.html", {"message": str(exception)}, status=503)
        response["Retry-After"] = "5"
        return response
