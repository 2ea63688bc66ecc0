"""A customer's browser, over HTTPS through nginx: the login with its e-mailed code, then 050番号追加申込.

It behaves as a browser does: cookies, the CSRF token from the form, the Origin header, redirects
followed. Every response is kept in ``history`` so a test can look at what the customer saw.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from loadtests import smtp_sink
from loadtests.seed import customer_email, customer_id

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
APPLICATION_RE = re.compile(r"/applications/([0-9]{6}-[0-9A-Z]{8})/")
NUMBER_RE = re.compile(r"\b050-?[0-9]{4}-?[0-9]{4}\b")
# What our own error pages say (500.html and nginx's unavailable.html), in either language.
OUR_ERROR_PAGE = "ただいまご利用いただけません"
TRACE_MARKERS = ("Traceback", "Exception Value", "Internal Server Error</h1>", "<address>nginx")


class FlowError(AssertionError):
    pass


@dataclass
class Outcome:
    """The page a customer ended on after pressing 実行."""

    status: int
    url: str
    text: str

    @property
    def application_number(self) -> str | None:
        """The application shown on a page that worked (an error page at its address does not count)."""
        found = APPLICATION_RE.search(self.url)
        return found.group(1) if found and self.status == 200 else None

    @property
    def is_our_error_page(self) -> bool:
        """An error status with a page of ours: 500.html/unavailable.html, or a portal page (its footer)."""
        return self.status >= 400 and (OUR_ERROR_PAGE in self.text or '<footer class="site">' in self.text)

    @property
    def shows_trace(self) -> bool:
        return any(marker in self.text for marker in TRACE_MARKERS)


class Browser:
    def __init__(self, base_url: str, certificate: str, mail_dir: Path, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self.mail_dir = mail_dir
        self.certificate = certificate
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy, and REQUESTS_CA_BUNDLE must not replace the stack's certificate
        self.http.verify = certificate
        self.http.headers["Origin"] = base_url
        self.timeout = timeout
        self.history: list[requests.Response] = []

    def clone(self) -> Browser:
        """Another tab of the same browser: the same cookies, its own connection."""
        other = Browser(self.base_url, self.certificate, self.mail_dir, self.timeout)
        other.http.cookies.update(self.http.cookies)
        return other

    # -- plumbing --------------------------------------------------------------------------------

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.http.get(self.base_url + path, timeout=self.timeout, **kwargs)
        self.history.append(response)
        return response

    def post(self, path: str, data: dict, csrf: str) -> requests.Response:
        response = self.http.post(
            self.base_url + path,
            data={**data, "csrfmiddlewaretoken": csrf},
            headers={"Referer": self.base_url + path},
            timeout=self.timeout,
        )
        self.history.append(response)
        return response

    @staticmethod
    def csrf(response: requests.Response) -> str:
        found = CSRF_RE.search(response.text)
        if found is None:
            raise FlowError(f"no form on {response.url} ({response.status_code})")
        return found.group(1)

    @staticmethod
    def expect(response: requests.Response, path: str) -> requests.Response:
        if response.status_code != 200 or urlsplit(response.url).path != path:
            raise FlowError(f"expected {path}, got {response.status_code} {response.url}: {response.text[:300]}")
        return response

    # -- the customer's steps ------------------------------------------------------------------

    def login(self, index: int, password: str) -> requests.Response:
        """セルフケアログイン with the password, then the code e-mailed to the customer."""
        email = customer_email(index)
        page = self.expect(self.get("/login/"), "/login/")
        mails_before = len(smtp_sink.messages(self.mail_dir, email))
        verify = self.post("/login/", {"selfcare_id": customer_id(index), "password": password}, self.csrf(page))
        self.expect(verify, "/login/verify/")
        code = self.wait_for_code(email, mails_before)
        menu = self.post("/login/verify/", {"code": code}, self.csrf(verify))
        return self.expect(menu, "/menu/")

    def wait_for_code(self, email: str, mails_before: int, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = smtp_sink.messages(self.mail_dir, email)
            # The newest mail with a code: the jobs worker's notices (numbers added) land here too.
            for path in reversed(found[mails_before:]):
                try:
                    return smtp_sink.code_in(path)
                except ValueError:
                    continue
            time.sleep(0.05)
        raise FlowError(f"no code e-mailed to {email} in {timeout:.0f} s")

    def confirm(self, count: int) -> tuple[str, str]:
        """入力画面 -> 確認画面: the confirmation's token and the CSRF token of its 実行 form."""
        page = self.expect(self.get("/numbers/add/"), "/numbers/add/")
        confirm = self.post("/numbers/add/", {"count": str(count)}, self.csrf(page))
        self.expect(confirm, "/numbers/add/confirm/")
        token = parse_qs(urlsplit(confirm.url).query)["token"][0]
        return token, self.csrf(confirm)

    def execute(self, token: str, csrf: str) -> Outcome:
        """実行: whatever page the customer ends on, error pages included."""
        response = self.post("/numbers/add/execute/", {"token": token}, csrf)
        return Outcome(response.status_code, response.url, response.text)

    def add_numbers(self, count: int) -> Outcome:
        token, csrf = self.confirm(count)
        return self.execute(token, csrf)


def numbers_on(outcome: Outcome) -> list[str]:
    return sorted({number.replace("-", "") for number in NUMBER_RE.findall(outcome.text)})
