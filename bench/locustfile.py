"""Locust users for bench/http_flow.py (run headless by it; not on its own).

``ApplyingCustomer`` logs in once, then only applies (menu to complete) again and again.
``FlowCustomer`` goes through the whole customer flow as a browser does, each page its own
request: ログイン (page, password), 認証コード (page, code read from the SMTP sink's files),
メニュー, 入力画面, 確認画面, 実行, 完了 (the application page), ログアウト.
``TrivialVisitor`` asks for /healthz/, a view that does nothing: the ceiling of the same stack.

Settings come from the environment: LOADTEST_CERTIFICATE, LOADTEST_MAIL_DIR, LOADTEST_PASSWORD,
LOADTEST_CUSTOMERS, LOADTEST_USER_CLASS (FlowCustomer, ApplyingCustomer or TrivialVisitor).
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from locust import HttpUser, constant, events, task

from loadtests import smtp_sink
from loadtests.client import CSRF_RE
from loadtests.seed import customer_email, customer_id

MAIL_DIR = Path(os.environ.get("LOADTEST_MAIL_DIR", "."))
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "")
CUSTOMERS = int(os.environ.get("LOADTEST_CUSTOMERS", "1"))
_next_customer = itertools.count()


class _Browser(HttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.trust_env = False
        self.client.verify = os.environ["LOADTEST_CERTIFICATE"]
        self.client.headers["Origin"] = self.host

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                raise _Abandon
            return response.text

    def submit(self, path: str, data: dict, csrf: str, name: str) -> str:
        """POST a form; the Location it redirects to (the next page is its own request)."""
        with self.client.post(
            path,
            data={**data, "csrfmiddlewaretoken": csrf},
            headers={"Referer": self.host + path},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code} instead of a redirect")
                raise _Abandon
            return urlsplit(response.headers["Location"])._replace(scheme="", netloc="").geturl()


class _Abandon(Exception):
    pass


def _csrf(html: str) -> str:
    found = CSRF_RE.search(html)
    if found is None:
        raise _Abandon
    return found.group(1)


class _Customer(_Browser):
    abstract = True

    def _login(self, index: int) -> None:
        self.client.cookies.clear()
        email = customer_email(index)
        login = self.page("/login/", "1 login page")
        before = len(smtp_sink.messages(MAIL_DIR, email))
        verify_path = self.submit(
            "/login/", {"selfcare_id": customer_id(index), "password": PASSWORD}, _csrf(login), "2 password (argon2)"
        )
        verify = self.page(verify_path, "3 code page")
        code = self._code(email, before)
        self.submit(verify_path, {"code": code}, _csrf(verify), "4 code")

    def _apply(self) -> str:
        self.page("/menu/", "5 menu")
        add_input = self.page("/numbers/add/", "6 input")
        confirm_path = self.submit("/numbers/add/", {"count": "1"}, _csrf(add_input), "7 input submit")
        confirm = self.page(confirm_path, "8 confirm")
        token = confirm_path.split("token=", 1)[1]
        done_path = self.submit("/numbers/add/execute/", {"token": token}, _csrf(confirm), "9 execute (実行)")
        return self.page(done_path, "10 complete")

    def _code(self, email: str, before: int) -> str:
        started = time.perf_counter()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = smtp_sink.messages(MAIL_DIR, email)
            if len(found) > before:
                code = smtp_sink.code_in(found[-1])
                events.request.fire(
                    request_type="MAIL",
                    name="code e-mail arrives",
                    response_time=(time.perf_counter() - started) * 1000,
                    response_length=0,
                    exception=None,
                    context={},
                )
                return code
            time.sleep(0.01)
        raise _Abandon


class FlowCustomer(_Customer):
    @task
    def flow(self) -> None:
        index = next(_next_customer) % CUSTOMERS + 1
        try:
            self._login(index)
            done = self._apply()
            self.submit("/logout/", {}, _csrf(done), "11 logout")
        except _Abandon:
            self.client.cookies.clear()


class ApplyingCustomer(_Customer):
    """Logged in once; then only the application pages, again and again (no password hashing)."""

    def on_start(self) -> None:
        super().on_start()
        self.index = CUSTOMERS - next(_next_customer) % CUSTOMERS  # from the last: the flow run takes the first
        self.logged_in = False

    @task
    def flow(self) -> None:
        try:
            if not self.logged_in:
                self._login(self.index)
                self.logged_in = True
            self._apply()
        except _Abandon:
            self.logged_in = False


class TrivialVisitor(_Browser):
    @task
    def trivial(self) -> None:
        self.page("/healthz/", "trivial view")


# locust runs every user class it finds: keep only the one asked for.
_chosen = os.environ.get("LOADTEST_USER_CLASS", "FlowCustomer")
for _name in ("FlowCustomer", "ApplyingCustomer", "TrivialVisitor"):
    if _name != _chosen:
        globals()[_name].abstract = True
