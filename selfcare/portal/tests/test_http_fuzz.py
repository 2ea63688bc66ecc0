"""Over real HTTP, no form input and no URL gives a 500 or a stack trace.

test_fuzz.py sends text through Django's test client. These tests go through a socket to the
live server (a real threaded WSGI server) with a ``requests`` session that behaves like a
browser: it keeps the cookies, sends the CSRF token, and follows redirects (never off the
site). So they can send what only HTTP carries: arbitrary bytes percent-encoded, fields left
out or repeated, raw query strings, path segments of any bytes, bodies of any content type.

Every response on the way must be below 500 and free of a traceback or the server-error page;
a refused value must show the visitor a message, and nothing may be created by it.
"""

from __future__ import annotations

import re
import socket
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote, quote_plus, urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test.testcases import _MediaFilesHandler
from hypothesis import HealthCheck, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from selfcare.accounts.models import LoginCode, User
from selfcare.orders.errors import BadCount
from selfcare.orders.models import Application
from selfcare.orders.parsing import parse_count
from selfcare.portal.tests.conftest import PASSWORD
from selfcare.testing import login_code

Value = str | bytes
Pairs = list[tuple[str, Value]]

HTTP_FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
    database=None,  # nothing written outside the test run
)

# Values ----------------------------------------------------------------------------------------------

# Any Unicode character HTTP can carry as UTF-8: every category but the lone surrogates.
any_character = st.characters(blacklist_categories=("Cs",))
any_text = st.text(any_character, max_size=40)
huge_text = st.text(any_character, min_size=1, max_size=5).map(lambda s: (s * 100_000)[:100_000])
whitespace = st.text(st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2028\u2029\u202f\u3000\ufeff"))
numberish = st.one_of(
    st.integers().map(str),
    st.integers(min_value=10**18, max_value=10**40).map(lambda n: str(n) if n % 2 else str(-n)),
    st.sampled_from(
        [
            "-1",
            "0",
            "1",
            "50",
            "51",
            str(10**30),
            "1e9",
            "1E3",
            "0x10",
            "1_0",
            "+5",
            "5.0",
            "NaN",
            "inf",
            "１０",
            "٣",
            "𝟕",
            "²",
            "Ⅻ",
            " 7 ",
            "\t10\n",
            "\u300010\u3000",
            "0" * 400 + "1",
        ]
    ),
)
# Sent percent-encoded as they are: often not UTF-8 at all, NUL and control bytes included.
any_bytes = st.binary(max_size=60)


def now_and_then(rare: SearchStrategy[Any], usual: SearchStrategy[Any], one_in: int = 8) -> SearchStrategy[Any]:
    """``rare`` about once in ``one_in`` draws (huge values are slow to send, so not every other time).

    The usual one is the simpler choice, the one Hypothesis tries first and shrinks towards.
    """
    return st.integers(min_value=1, max_value=one_in).flatmap(lambda n: rare if n == one_in else usual)


junk: SearchStrategy[Value] = now_and_then(huge_text, st.one_of(any_text, numberish, any_bytes, whitespace))


def _named(name: str, values: list[Any]) -> list[tuple[str, Any]]:
    return [(name, value) for value in values]


def form(**fields: SearchStrategy[Any]) -> SearchStrategy[list[tuple[str, Any]]]:
    """A form's fields as a browser (or anyone) might send them: each one left out, sent once, or repeated."""
    groups = [st.lists(values, max_size=3).map(partial(_named, name)) for name, values in fields.items()]
    return st.tuples(*groups).map(lambda parts: [pair for part in parts for pair in part])


def apply_changes(base: list[tuple[str, Any]], changes: Iterable[tuple[str, str, Any]]) -> list[tuple[str, Any]]:
    """``base`` with each change made in turn: ("set", name, value), ("drop", name, _) or ("repeat", name, value)."""
    fields = list(base)
    for how, name, value in changes:
        if how == "set" and any(key == name for key, _ in fields):
            fields = [(key, value if key == name else old) for key, old in fields]
        elif how == "drop":
            fields = [(key, old) for key, old in fields if key != name]
        else:  # repeated, or set again after it was left out
            fields.append((name, value))
    return fields


def altered(base: list[tuple[str, Any]], values: SearchStrategy[Any]) -> SearchStrategy[list[tuple[str, Any]]]:
    """A form filled in right, then often one or two (up to three) of its fields changed, left out or sent again.

    So the deep paths behind a valid form are reached too, not only the form's own refusals.
    """
    names = sorted({name for name, _ in base})
    change = st.tuples(st.sampled_from(["set", "drop", "repeat"]), st.sampled_from(names), values)
    how_many = st.sampled_from([0, 0, 1, 1, 2, 3])
    return how_many.flatmap(lambda n: st.lists(change, min_size=n, max_size=n)).map(partial(apply_changes, base))


def encode(pairs: Iterable[tuple[str, Value]]) -> str:
    """application/x-www-form-urlencoded: text as UTF-8, bytes exactly as they are, both percent-encoded."""
    return "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in pairs)


def as_django_reads(value: Value) -> str:
    """The text Django makes of a sent value (undecodable bytes become U+FFFD)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def last(pairs: Pairs, name: str) -> str | None:
    """The value a Django view reads for ``name`` (QueryDict.get: the last one sent)."""
    values = [as_django_reads(value) for key, value in pairs if key == name]
    return values[-1] if values else None


# A browser over HTTP -------------------------------------------------------------------------------------

SERVER_ERROR_MARKS = ("Traceback", "Server Error", "A server error occurred")
MESSAGE_MARKS = ('class="errorlist', 'role="alert"', 'role="status"', 'class="errornote', 'class="messagelist')


def assert_no_server_error(response: requests.Response) -> None:
    for hop in [*response.history, response]:
        assert hop.status_code < 500, f"{hop.status_code} for {hop.request.method} {hop.url[:300]}"
        for mark in SERVER_ERROR_MARKS:
            assert mark not in hop.text, f"{mark!r} in the response to {hop.request.method} {hop.url[:300]}"


def refused_whole(response: requests.Response, fields: Pairs, *, multipart: bool = False) -> bool:
    """True when the form's fields were more than DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses the request whole.

    No view sees such a request; the answer is the site's 400 page, which says so.
    """
    with_token = [("csrfmiddlewaretoken", "x" * 64), *fields]
    size = (
        sum(len(value.encode() if isinstance(value, str) else value) for _, value in with_token)
        if multipart
        else len(encode(with_token))
    )
    if size <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return False
    assert response.status_code == 400, response.status_code
    assert response.text.strip()
    return True


def shows_a_message(response: requests.Response) -> bool:
    return any(mark in response.text for mark in MESSAGE_MARKS)


def path_of(response: requests.Response) -> str:
    return urlsplit(response.url).path


@dataclass
class Browser:
    """A requests session that keeps cookies, sends the CSRF token and follows redirects within the site."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, query: str | Pairs = "") -> requests.Response:
        raw_query = query if isinstance(query, str) else encode(query)
        return self._go("GET", self.base + path + ("?" + raw_query if raw_query else ""))

    def post(self, path: str, pairs: Pairs, *, files: list | None = None) -> requests.Response:
        """POST the form fields, the CSRF token first as Django's forms put it: urlencoded, or multipart with files."""
        fields = [("csrfmiddlewaretoken", self.csrf_token(path)), *pairs]
        if files is not None:
            return self._go("POST", self.base + path, data=fields, files=files)
        return self.post_body(path, encode(fields).encode("ascii"), "application/x-www-form-urlencoded")

    def post_body(self, path: str, body: bytes, content_type: str, **headers: str) -> requests.Response:
        return self._go("POST", self.base + path, data=body, headers={"Content-Type": content_type, **headers})

    def close(self) -> None:
        """Hang up: a kept-alive connection would otherwise hold a server thread until the server stops."""
        self.http.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def csrf_token(self, path: str) -> str:
        """The token a browser would send: from the cookie, after opening a page first when there is none yet."""
        token = self.http.cookies.get("csrftoken")
        if token is None:
            self.get(path)
            token = self.http.cookies.get("csrftoken")
        if token is None:  # a page without a form: any of the site's forms gives one
            self.get("/login/")
            token = self.http.cookies.get("csrftoken")
        assert token, "no CSRF cookie"
        return token

    def _go(self, method: str, url: str, **sent: Any) -> requests.Response:
        hops: list[requests.Response] = []
        response = self.http.request(method, url, allow_redirects=False, timeout=60, **sent)
        while response.is_redirect:
            hops.append(response)
            assert len(hops) <= 10, f"redirect loop from {url[:200]}"
            target = urljoin(response.url, response.headers["Location"])
            assert target.startswith(self.base + "/"), f"redirected off the site to {target[:200]}"
            response = self.http.get(target, allow_redirects=False, timeout=60)
        response.history = hops
        assert_no_server_error(response)
        return response


def reset_login_throttles(user: User) -> None:
    """Between examples: no per-IP throttle, no account lock, no codes on record (so a new one can be sent)."""
    cache.clear()
    User.objects.filter(pk=user.pk).update(consecutive_failures=0, locked_until=None)
    LoginCode.objects.filter(user=user).delete()
    mail.outbox.clear()


def password_step(browser: Browser, selfcare_id: str, password: str = PASSWORD) -> requests.Response:
    return browser.post("/login/", [("selfcare_id", selfcare_id), ("password", password)])


def http_log_in(base: str, customer, password: str = PASSWORD) -> Browser:
    """Both login steps over HTTP, the code read from the e-mail."""
    browser = Browser(base)
    try:
        response = password_step(browser, customer.selfcare_id, password)
        assert path_of(response) == "/login/verify/", response.text
        response = browser.post("/login/verify/", [("code", login_code(mail.outbox[-1]))])
        assert path_of(response) == "/menu/", response.text
    except BaseException:
        browser.close()
        raise
    return browser


@contextmanager
def served_as_in_production(live_server) -> Iterator[str]:
    """The live server's address, with the app answering every path as it does behind gunicorn.

    Two things of the test server are put aside while the test runs. Its media-files handler,
    which exists only in tests: with MEDIA_URL empty it takes every path for a media file and
    answers a path climbing out of the (empty) media root with a 500 of its own, before the
    app sees the request. And the 40 ms each reply waits for the client's delayed ACK (the
    server writes headers and body separately; TCP_NODELAY, which accepted sockets inherit,
    sends them at once).
    """
    server = live_server.thread.httpd
    nodelay = server.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    static = server.get_app()
    media = static.application
    if isinstance(media, _MediaFilesHandler):
        static.application = media.application
    try:
        yield live_server.url
    finally:
        static.application = media
        server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, nodelay)


@pytest.fixture
def site(live_server, transactional_db, login_customer, pool, mailoutbox) -> Iterator[str]:
    """The live server's address, with a customer who can log in and a pool of numbers."""
    with served_as_in_production(live_server) as url:
        yield url


@pytest.fixture
def customer_browser(site, login_customer) -> Iterator[Browser]:
    """One logged-in browser for the whole test: every example reuses it."""
    with http_log_in(site, login_customer) as browser:
        yield browser


# 1. Login, step 1: self-care ID and password ------------------------------------------------------------


@HTTP_FUZZ
@given(
    fields=st.one_of(
        form(selfcare_id=st.one_of(junk, st.just("REAL")), password=st.one_of(junk, st.just(PASSWORD))),
        altered([("selfcare_id", "REAL"), ("password", PASSWORD)], junk),
    )
)
@example(fields=[("selfcare_id", b"\x00"), ("password", b"\xff\xfe")])
@example(fields=[("selfcare_id", "REAL"), ("password", "wrong"), ("password", PASSWORD)])
@example(fields=[("selfcare_id", "REAL"), ("selfcare_id", "x" * 100_000)])
@example(fields=[("selfcare_id", "REAL"), ("password", "\U0001f4a9" * 100_000), ("password", "\U0001f4a9" * 100_000)])
@example(fields=[])
def test_given_any_fields_when_posted_to_login_then_a_message_not_a_server_error(site, login_customer, fields):
    reset_login_throttles(login_customer.user)
    fields = [(name, login_customer.selfcare_id if value == "REAL" else value) for name, value in fields]
    with Browser(site) as browser:
        response = browser.post("/login/", fields)

    if refused_whole(response, fields):
        return
    assert response.status_code == 200
    event(f"login: {path_of(response)}")
    if path_of(response) == "/login/verify/":  # only the right ID and password get here
        assert last(fields, "password") == PASSWORD
        assert (last(fields, "selfcare_id") or "").strip() == login_customer.selfcare_id
    else:
        assert path_of(response) == "/login/"
        assert shows_a_message(response), response.text


# 2. Login, step 2: the e-mailed code ----------------------------------------------------------------------


@dataclass(frozen=True)
class RealCode:
    """Stands for the code in the e-mail, typed the way ``style`` says."""

    style: str

    def typed(self, code: str) -> str:
        return {
            "plain": code,
            "full-width": code.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "spaced": f"  {code}\u3000",
            "hyphenated": f"{code[:3]}-{code[3:]}",
            "doubled": code * 2,
            "one-off": code[:-1] + str((int(code[-1]) + 1) % 10),
        }[self.style]


real_code = st.sampled_from(["plain", "full-width", "spaced", "hyphenated", "doubled", "one-off"]).map(RealCode)


@HTTP_FUZZ
@given(fields=form(code=st.one_of(junk, real_code)))
@example(fields=[("code", b"\x00")])
@example(fields=[("code", RealCode("full-width"))])
@example(fields=[("code", "000000"), ("code", RealCode("plain"))])
@example(fields=[("code", RealCode("plain")), ("code", "x" * 100_000)])
def test_given_any_code_when_posted_to_verify_then_a_message_not_a_server_error(site, login_customer, fields):
    reset_login_throttles(login_customer.user)
    with Browser(site) as browser:
        assert path_of(password_step(browser, login_customer.selfcare_id)) == "/login/verify/"
        code = login_code(mail.outbox[-1])
        fields = [(name, value.typed(code) if isinstance(value, RealCode) else value) for name, value in fields]

        response = browser.post("/login/verify/", fields)

    if refused_whole(response, fields):
        return
    assert response.status_code == 200
    event(f"code: {path_of(response)}")
    if path_of(response) == "/menu/":  # only the code itself gets here (NFKC; spaces and hyphens allowed)
        typed = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", last(fields, "code") or ""))
        assert typed == code
    else:
        assert path_of(response) == "/login/verify/"
        assert shows_a_message(response), response.text


# 3. 050番号追加申込: the count on the input page -----------------------------------------------------------

ADD_LIMIT = 20  # below the 50 a form allows, so that counts 21..50 meet the limit


def expected_count(fields: Pairs) -> int | None:
    """The count the input page accepts for these fields, by the form's own rules; None when it must refuse."""
    sent = last(fields, "count")
    if sent is None:
        return None
    text = sent.strip()
    if not text or len(text) > 20 or "\x00" in text:
        return None
    try:
        return parse_count(text)
    except BadCount:
        return None


@pytest.fixture
def limited_customer(login_customer):
    login_customer.addition_limit = ADD_LIMIT
    login_customer.save(update_fields=["addition_limit"])
    return login_customer


@HTTP_FUZZ
@given(fields=form(count=st.one_of(junk, st.integers(min_value=-5, max_value=60).map(str))))
@example(fields=[("count", b"\x00")])
@example(fields=[("count", "１０")])
@example(fields=[("count", str(10**30))])
@example(fields=[("count", "1e9")])
@example(fields=[("count", "-1")])
@example(fields=[("count", "3"), ("count", "x" * 100_000)])
@example(fields=[("count", "30")])
@example(fields=[])
def test_given_any_count_when_posted_then_nothing_is_added_and_a_bad_one_shows_a_message(
    limited_customer, customer_browser, fields
):
    before = Application.objects.count()

    response = customer_browser.post("/numbers/add/", fields)

    assert Application.objects.count() == before == 0
    if refused_whole(response, fields):
        return
    assert response.status_code == 200
    count = expected_count(fields)
    event("count: refused" if count is None else "count: over the limit" if count > ADD_LIMIT else "count: to confirm")
    if count is None:  # the input page again, with the field's error
        assert path_of(response) == "/numbers/add/"
        assert 'class="errorlist' in response.text, response.text
    elif count > ADD_LIMIT:  # the input page again, the limit said at the field, the value kept
        assert path_of(response) == "/numbers/add/"
        assert 'class="errorlist' in response.text, response.text
        assert 'name="count"' in response.text and "value=" in response.text.split('name="count"', 1)[1][:200]
    else:  # the confirm page, showing the count
        assert path_of(response) == "/numbers/add/confirm/"
        assert f'<strong class="count">{count}</strong>' in response.text


# 4. The confirm page's token and 実行 -------------------------------------------------------------------


@dataclass(frozen=True)
class UsedToken:
    """Stands for the token of the application already placed, altered the way ``style`` says."""

    style: str

    def sent(self, token: str) -> str:
        return {
            "plain": token,
            "spaced": f" {token} ",
            "upper": token.upper(),
            "prefix": token[:10],
            "longer": token + "A" * 64,
            "with NUL": token + "\x00",
        }[self.style]


used_token = st.sampled_from(["plain", "spaced", "upper", "prefix", "longer", "with NUL"]).map(UsedToken)


def _place(browser: Browser, count: int) -> tuple[str, str]:
    """Enter, confirm and execute over HTTP; return the token and the application's page."""
    response = browser.post("/numbers/add/", [("count", str(count))])
    assert path_of(response) == "/numbers/add/confirm/"
    token = re.search(r'name="token" value="([^"]+)"', response.text)
    assert token, response.text
    response = browser.post("/numbers/add/execute/", [("token", token.group(1))])
    assert path_of(response).startswith("/applications/"), response.text
    return token.group(1), path_of(response)


@pytest.fixture
def placed(customer_browser) -> tuple[str, str]:
    return _place(customer_browser, 2)


@HTTP_FUZZ
@given(fields=form(token=st.one_of(junk, used_token)), query=st.one_of(junk, used_token))
@example(fields=[("token", b"\x00")], query=b"\x00")
@example(fields=[("token", "x" * 100_000)], query="x" * 100_000)
@example(fields=[("token", "junk"), ("token", UsedToken("plain"))], query=UsedToken("spaced"))
@example(fields=[], query="")
def test_given_any_token_when_confirmed_or_executed_then_no_second_application(customer_browser, placed, fields, query):
    token, application_page = placed
    fields = [(name, value.sent(token) if isinstance(value, UsedToken) else value) for name, value in fields]
    query = query.sent(token) if isinstance(query, UsedToken) else query

    confirm = customer_browser.get("/numbers/add/confirm/", [("token", query)])
    execute = customer_browser.post("/numbers/add/execute/", fields)

    assert Application.objects.count() == 1
    event(f"execute: {'replayed' if path_of(execute) == application_page else path_of(execute)}")
    for response in (confirm, execute) if not refused_whole(execute, fields) else (confirm,):
        # Either the application already placed (a replay of its token), or the input page saying to start over.
        assert response.status_code in (200, 414), response.status_code
        if response.status_code == 200:
            assert path_of(response) in (application_page, "/numbers/add/"), response.url
            if path_of(response) == "/numbers/add/":
                assert 'class="notice"' in response.text, response.text
    if last(fields, "token") == token and execute.status_code != 400:  # the view reads the token as sent
        assert path_of(execute) == application_page


# 5. The password change form -------------------------------------------------------------------------------


PASSWORD_NOW: dict[int, str] = {}  # user id -> the password after the changes made so far


@pytest.fixture(autouse=True)
def _forget_changed_passwords():
    PASSWORD_NOW.clear()
    yield
    PASSWORD_NOW.clear()


class Current:
    """Stands for the customer's password as it is now."""

    def __repr__(self) -> str:
        return "Current()"


NEW_PASSWORD = "a new password that is long enough"
new_password = st.one_of(junk, st.text(any_character, min_size=15, max_size=40), st.just(NEW_PASSWORD))


@HTTP_FUZZ
@given(
    fields=st.one_of(
        form(
            old_password=st.one_of(junk, st.just(Current())),
            new_password1=new_password,
            new_password2=new_password,
        ),
        altered(
            [("old_password", Current()), ("new_password1", NEW_PASSWORD), ("new_password2", NEW_PASSWORD)],
            new_password,
        ),
    )
)
@example(fields=[("old_password", Current()), ("new_password1", b"\x00" * 20), ("new_password2", b"\x00" * 20)])
@example(fields=[("old_password", Current()), ("new_password1", "p" * 100_000), ("new_password2", "p" * 100_000)])
@example(fields=[("old_password", Current()), ("new_password1", NEW_PASSWORD), ("new_password2", NEW_PASSWORD)])
def test_given_any_passwords_when_changing_the_password_then_a_message_not_a_server_error(
    site, login_customer, customer_browser, fields
):
    user = login_customer.user
    current = PASSWORD_NOW.get(user.pk, PASSWORD)
    fields = [(name, current if isinstance(value, Current) else value) for name, value in fields]
    # Each example on its own: wrong current passwords count as failed logins and would lock the
    # account (and end this session) after ten examples; the lock has tests of its own.
    User.objects.filter(pk=user.pk).update(consecutive_failures=0, locked_until=None)
    cache.clear()

    response = customer_browser.post("/password/", fields)

    if refused_whole(response, fields):
        assert user.check_password(current)
        return
    assert response.status_code == 200
    assert path_of(response) == "/password/"
    user.refresh_from_db()
    event("password: refused" if 'class="errorlist' in response.text else "password: changed")
    if 'class="errorlist' in response.text:  # refused: the old password still works
        assert user.check_password(current)
    else:  # changed: the page says so, the new password works and the session goes on
        assert 'role="status"' in response.text, response.text
        changed_to = last(fields, "new_password1")
        assert changed_to is not None and user.check_password(changed_to)
        PASSWORD_NOW[user.pk] = changed_to
        assert path_of(customer_browser.get("/menu/")) == "/menu/"


# 6. The language switch -------------------------------------------------------------------------------------

languages = st.sampled_from(["ja", "en", "EN", "en-us", "ja-JP", "xx", "", "zh-hans"])
next_urls = st.sampled_from(
    [
        "/menu/",
        "/numbers/add/?count=3",
        "//evil.example/",
        "http://evil.example/",
        "https://evil.example/menu/",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "/%00/",
        "/applications/000000-AAAAAAAA/",
        "/staff/",
    ]
)


@HTTP_FUZZ
@given(
    logged_in=st.booleans(),
    method=st.sampled_from(["POST", "GET"]),
    fields=form(language=st.one_of(languages, junk), next=st.one_of(next_urls, junk)),
)
@example(logged_in=False, method="POST", fields=[("language", "en"), ("next", "//evil.example/")])
@example(logged_in=True, method="POST", fields=[("language", b"\x00"), ("next", b"/\x00\r\nX: y")])
@example(logged_in=True, method="GET", fields=[("next", "/" + "x" * 100_000)])
def test_given_any_language_and_next_when_switching_then_a_page_of_the_site(
    site, customer_browser, logged_in, method, fields
):
    with Browser(site) as anonymous:
        browser = customer_browser if logged_in else anonymous
        send = browser.post if method == "POST" else browser.get
        response = send("/i18n/setlang/", fields)

    if method == "POST" and refused_whole(response, fields):
        return
    # The browser refuses any redirect off the site; where it lands is a page of the site (or a 404/414).
    assert response.status_code in (200, 404, 414), response.status_code
    assert response.text.strip()


# 7. Junk in query strings, path segments and bodies ------------------------------------------------------------

CUSTOMER_PAGES = [
    "/",
    "/login/",
    "/login/verify/",
    "/menu/",
    "/numbers/",
    "/numbers/add/",
    "/numbers/add/confirm/",
    "/applications/",
    "/password/",
    "/i18n/setlang/",
    "/healthz/",
]
query_names = st.one_of(st.sampled_from(["page", "count", "token", "next", "language", "q", "o", "p"]), any_text)
raw_query = st.one_of(
    st.lists(st.tuples(query_names, junk), max_size=6).map(encode),
    any_bytes.map(lambda raw: quote(raw, safe="&=+%")),  # stray separators and broken escapes as well
    st.just("&".join(["page=1"] * 1_500)),  # more fields than Django accepts
)


@HTTP_FUZZ
@given(page=st.sampled_from(CUSTOMER_PAGES), query=raw_query)
@example(page="/numbers/", query="page=%00")
@example(page="/applications/", query="page=" + str(10**30))
@example(page="/numbers/add/", query="count=" + "%F0%9F%92%A9" * 1_000)
@example(page="/numbers/add/confirm/", query="token=%ff%fe&token=")
@example(page="/numbers/", query="%")
def test_given_any_query_string_when_opening_a_customer_page_then_no_server_error(customer_browser, page, query):
    response = customer_browser.get(page, query)

    assert response.status_code in (200, 400, 404, 405, 414), response.status_code
    assert response.text.strip()


segments = st.one_of(
    any_bytes.map(lambda raw: quote(raw, safe="")),
    any_text.map(lambda text: quote(text, safe="")),
    numberish.map(lambda text: quote(text, safe="")),
    st.from_regex(r"[0-9]{6}-[0-9A-Z]{8}", fullmatch=True),
    st.just("%00"),
    st.just("x" * 60_000),
)


@HTTP_FUZZ
@given(prefix=st.sampled_from(["/applications/", "/numbers/", "/", "/login/", "/numbers/add/"]), segment=segments)
@example(prefix="/applications/", segment="000000-AAAAAAAA")
@example(prefix="/applications/", segment="%ff%fe%00")
@example(prefix="/", segment="%2e%2e%2f%2e%2e%2fetc%2fpasswd")
def test_given_any_path_segment_when_opened_then_not_found_not_a_server_error(customer_browser, prefix, segment):
    response = customer_browser.get(prefix + segment + "/")

    assert response.status_code in (200, 400, 404, 414), response.status_code
    assert response.text.strip()


content_types = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/x-www-form-urlencoded; charset=nonsense",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            'multipart/form-data; boundary=""',
            "text/plain",
            "application/json",
        ]
    ),
    st.from_regex(r"[!-~]([ -~]{0,58}[!-~])?", fullmatch=True),  # anything a header can carry
)


@HTTP_FUZZ
@given(
    page=st.sampled_from(["/login/", "/numbers/add/", "/numbers/add/execute/", "/password/", "/i18n/setlang/"]),
    content_type=content_types,
    body=st.one_of(any_bytes, st.binary(min_size=1, max_size=5).map(lambda b: b * 20_000)),
)
@example(page="/numbers/add/", content_type="multipart/form-data; boundary=x", body=b"--x\r\nContent-Disp")
@example(page="/login/", content_type="application/x-www-form-urlencoded; charset=nonsense", body=b"a=%ff")
@example(page="/login/", content_type="application/x-www-form-urlencoded; charset=latin-1", body=b"")
@example(page="/numbers/add/", content_type="application/x-www-form-urlencoded", body=b"count=1&" * 1_500)
@example(page="/numbers/add/", content_type="application/x-www-form-urlencoded", body=b"count=" + b"1" * 3_000_000)
@example(page="/password/", content_type="text/plain", body=b"\x00" * 3_000_000)
def test_given_any_body_and_content_type_when_posted_then_no_server_error(customer_browser, page, content_type, body):
    # The token in the header, where the CSRF check also looks, so the body reaches the view.
    token = customer_browser.csrf_token("/menu/")

    response = customer_browser.post_body(page, body, content_type, **{"X-CSRFToken": token})

    assert Application.objects.count() == 0
    assert response.status_code in (200, 400, 403), response.status_code
    assert response.text.strip()
