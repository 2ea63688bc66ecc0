"""Helpers for the Playwright tests in test_browser.py (plain functions; the fixtures live there).

Everything is found the way a customer finds it: by the visible label, role and name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright

from selfcare.accounts.models import Customer
from selfcare.portal.tests.conftest import PASSWORD
from selfcare.testing import login_code

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[3]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000

# The labels a customer reads, per language.
JA = {
    "id": "セルフケアID",
    "password": "セルフケアパスワード",
    "code": "認証コード",
    "send": "送信",
    "reset": "リセット",
    "back": "戻る",
    "execute": "実行",
    "menu_section": "各種サービス設定・変更",
    "add": "050番号追加申込",
    "input_page": "入力画面",
    "count": "追加番号数",
    "done": "以下のIP電話番号(050番号)が追加されました。",
    "application_number": "申込番号",
    "columns": ["IP電話番号(050番号)", "付加サービスパスワード", "IP加入電話パスワード"],
    "nav": "メインメニュー",
    "language": "言語",
    "change": "切替",
}
EN = {
    "id": "Self-care ID",
    "password": "Self-care password",
    "code": "Verification code",
    "send": "Send",
    "reset": "Reset",
    "back": "Back",
    "execute": "Execute",
    "menu_section": "Service settings and changes",
    "add": "Add 050 numbers",
    "input_page": "Input page",
    "count": "Numbers to add",
    "done": "The following IP phone numbers (050 numbers) have been added.",
    "application_number": "Application number",
    "columns": ["IP phone number (050 number)", "Additional service password", "IP phone password"],
    "nav": "Main menu",
    "language": "Language",
    "change": "Change",
}


@dataclass
class Tabs:
    """Opens browser contexts (one per call) and collects console errors, uncaught exceptions and CSP refusals."""

    browser: Browser
    errors: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def page(self, *, phone: bool = False, bypass_csp: bool = False) -> Page:
        options: dict = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "bypass_csp": bypass_csp}
        if phone:
            options.update(viewport=PHONE, is_mobile=True, has_touch=True)
        else:
            options.update(viewport=DESKTOP)
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return self.watch(context.new_page())

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        # The portal has no favicon; the browser's own request for one is not the page's doing.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@dataclass
class Site:
    base: str
    customer: Customer
    outbox: list

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def nav_link(page: Page, name: str, labels: dict = JA):
    return page.get_by_role("navigation", name=labels["nav"]).get_by_role("link", name=name, exact=True)


def login_password_step(page: Page, site: Site, labels: dict = JA) -> None:
    page.get_by_label(labels["id"]).fill(site.customer.selfcare_id)
    page.get_by_label(labels["password"]).fill(PASSWORD)
    button(page, labels["send"]).click()
    expect(page).to_have_url(re.compile(r"/login/verify/$"))


def login_code_step(page: Page, site: Site, labels: dict = JA) -> None:
    page.get_by_label(labels["code"]).fill(login_code(site.outbox[-1]))
    button(page, labels["send"]).click()
    expect(page).to_have_url(re.compile(r"/menu/$"))


def login(page: Page, site: Site, labels: dict = JA) -> None:
    page.goto(site.url("/login/"))
    login_password_step(page, site, labels)
    login_code_step(page, site, labels)


def open_add_input(page: Page, labels: dict = JA) -> None:
    """Menu: 各種サービス設定・変更 > 050番号追加申込 > 入力画面."""
    expect(page.get_by_role("heading", name=labels["menu_section"])).to_be_visible()
    item = page.get_by_role("listitem").filter(has_text=labels["add"])
    item.get_by_role("link", name=labels["input_page"]).click()
    expect(page.get_by_role("heading", name=labels["add"], level=1)).to_be_visible()
    expect(page.get_by_label(labels["count"])).to_be_visible()


def send_count(page: Page, count: str, labels: dict = JA) -> None:
    page.get_by_label(labels["count"]).fill(count)
    button(page, labels["send"]).click()


def to_confirm(page: Page, site: Site, count: int) -> str:
    """Log in and reach the confirm page for ``count`` numbers; returns its URL."""
    login(page, site)
    open_add_input(page)
    send_count(page, str(count))
    expect(page).to_have_url(re.compile(r"/numbers/add/confirm/\?token="))
    expect(button(page, JA["execute"])).to_be_enabled()
    return page.url


def expect_completion(page: Page, labels: dict = JA) -> str:
    """The completion page is showing; returns the 申込番号 on it."""
    expect(page).to_have_url(re.compile(r"/applications/[^/]+/$"))
    expect(page.get_by_text(labels["done"], exact=True)).to_be_visible()
    paragraph = page.get_by_role("main").locator("p").filter(has_text=labels["application_number"])
    expect(paragraph).to_be_visible()
    match = re.search(r"[:：]\s*(\S+)", paragraph.inner_text())
    assert match, paragraph.inner_text()
    return match.group(1)


def axe_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => { const r = await axe.run(); return {passes: r.passes.length, violations: r.violations}; }"
    )
    assert results["passes"] > 0, f"axe-core checked nothing on {page.url}"
    return results["violations"]


def describe_violations(screen: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        lines.append(
            f"[{screen}] {violation['id']} ({violation.get('impact')}): {violation['help']} -> {targets} "
            f"({violation.get('helpUrl', '')})"
        )
    return lines


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def horizontal_overflow(page: Page, width: int) -> int:
    """How many CSS pixels the page is wider than a screen ``width`` wide (0 when nothing sticks out).

    Compared with the device width, not window.innerWidth: a mobile browser widens its layout
    viewport to fit content that sticks out, and innerWidth grows with it.
    """
    return page.evaluate(
        """(width) => {
            const rights = [...document.body.querySelectorAll("*")].map((e) => e.getBoundingClientRect().right);
            return Math.ceil(Math.max(document.documentElement.scrollWidth, ...rights) + window.scrollX - width);
        }""",
        width,
    )


def fits_the_window(page: Page) -> bool:
    """No sideways scrolling: the document is no wider than the window."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def header_and_nav_height(page: Page) -> int:
    """CSS pixels from the top of the page to the bottom of the main menu (or the header, logged out)."""
    return page.evaluate(
        """() => Math.ceil(Math.max(...[...document.querySelectorAll("header.site, nav.main")]
            .map((e) => e.getBoundingClientRect().bottom + window.scrollY)))"""
    )


BROKEN_IDENTIFIERS = r"""() => {
    // 050 numbers (050-1234-5678) and application numbers (261125-AB12CD34) a customer reads out or copies:
    // each must sit on one line, not be split at its hyphens.
    const pattern = /050-\d{4}-\d{4}|\b\d{6}-[A-Z0-9]{8}\b/g;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const broken = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.parentElement || !node.parentElement.checkVisibility()) continue;
        for (const match of node.data.matchAll(pattern)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
            if (lines.size > 1) broken.push(`${match[0]} (<${node.parentElement.tagName.toLowerCase()}`
                + `${node.parentElement.className ? " class=" + node.parentElement.className : ""}>`
                + ` on ${lines.size} lines)`);
        }
    }
    return broken;
}"""


def broken_identifiers(page: Page) -> list[str]:
    """050 numbers and application numbers on the page that wrap onto more than one line."""
    return page.evaluate(BROKEN_IDENTIFIERS)


@contextmanager
def chromium_browser() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, for one test module (fails, never skips, when it is missing)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium).")
    # Playwright's sync API keeps an asyncio loop in this thread; the ORM calls in the tests
    # (and pytest-django's flush) are still plain synchronous code.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
