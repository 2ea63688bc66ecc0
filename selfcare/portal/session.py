"""What the portal keeps in the session (stored in the database, so any app server can serve any request)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.http import HttpRequest

from selfcare.accounts.login import PASSWORD_STEP_VALID
from selfcare.core import clock

PREAUTH = "selfcare_preauth"
AUTH_AT = "selfcare_auth_at"
SEEN_AT = "selfcare_seen_at"
DRAFTS = "selfcare_drafts"
CODE_UNSENT = "selfcare_code_unsent"
MAX_DRAFTS = 5


def preauth_start(request: HttpRequest, user_id: int, *, next_url: str = "") -> None:
    request.session.cycle_key()
    request.session[PREAUTH] = {"user_id": user_id, "at": clock.now().isoformat(), "next": next_url}


def preauth_next(request: HttpRequest) -> str:
    """The page the customer was on when the session ended (checked again before use)."""
    return str(request.session.get(PREAUTH, {}).get("next", ""))


def preauth_user_id(request: HttpRequest) -> int | None:
    """The user who passed the password step less than 10 minutes ago, if any."""
    data = request.session.get(PREAUTH)
    if not data:
        return None
    if clock.now() - dt.datetime.fromisoformat(data["at"]) > PASSWORD_STEP_VALID:
        del request.session[PREAUTH]
        return None
    return int(data["user_id"])


def preauth_started_at(request: HttpRequest) -> dt.datetime:
    return dt.datetime.fromisoformat(request.session[PREAUTH]["at"])


def preauth_clear(request: HttpRequest) -> None:
    request.session.pop(PREAUTH, None)
    request.session.pop(CODE_UNSENT, None)


def code_unsent_mark(request: HttpRequest, code_id: int | None) -> None:
    """The code made last could not be e-mailed: the code page must not say it was sent."""
    if code_id is None:
        request.session.pop(CODE_UNSENT, None)
    else:
        request.session[CODE_UNSENT] = code_id


def code_unsent_id(request: HttpRequest) -> int | None:
    return request.session.get(CODE_UNSENT)


def draft_create(request: HttpRequest, count: int) -> str:
    """A single-use token for one confirm page; it becomes the application's idempotency key."""
    token = secrets.token_urlsafe(24)
    drafts = dict(request.session.get(DRAFTS, {}))
    drafts[token] = count
    request.session[DRAFTS] = dict(list(drafts.items())[-MAX_DRAFTS:])
    return token


def draft_count(request: HttpRequest, token: str) -> int | None:
    return request.session.get(DRAFTS, {}).get(token)


def draft_discard(request: HttpRequest, token: str) -> None:
    drafts = dict(request.session.get(DRAFTS, {}))
    if drafts.pop(token, None) is not None:
        request.session[DRAFTS] = drafts
