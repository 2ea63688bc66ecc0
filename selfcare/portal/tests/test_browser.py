"""The customer portal in a real browser: Debian's Chromium driven by Playwright against the live server.

Run: .venv/bin/pytest selfcare/portal/tests/test_browser.py -q -p no:cacheprovider
Screenshots go to test-artifacts/screenshots/, the print PDF to test-artifacts/print/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import F
from playwright.sync_api import expect

from selfcare.accounts.models import Customer, LoginCode
from selfcare.audit.services import Actor
from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import numbers_cancel
from selfcare.portal.tests.browser_support import (
    ARTIFACTS,
    EN,
    JA,
    PHONE,
    Site,
    Tabs,
    axe_violations,
    broken_identifiers,
    button,
    describe_violations,
    expect_completion,
    fits_the_window,
    header_and_nav_height,
    horizontal_overflow,
    login,
    login_code_step,
    login_password_step,
    nav_link,
    open_add_input,
    screenshot,
    send_count,
    to_confirm,
)
from selfcare.portal.tests.conftest import PASSWORD
from selfcare.testing import login_code

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("axe_core")]

EXECUTE_PATH = "/numbers/add/execute/"
NEW_PASSWORD = "a brand new passphrase for the portal"


def applications(site: Site) -> list[Application]:
    return list(Application.objects.filter(customer=site.customer))


def execute_posts(page) -> list[str]:
    """Records every POST to the execute URL the page sends (form submissions and fetch alike)."""
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and EXECUTE_PATH in request.url and posts.append(1))
    return posts


# 1. The whole flow --------------------------------------------------------------------------------


def test_whole_flow_in_japanese(site, tabs):
    page = tabs.page()
    page.goto(site.url("/login/"))
    expect(page.get_by_role("heading", name="セルフケアログイン", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    login_password_step(page, site)
    expect(page.get_by_role("heading", name="二段階認証", level=1)).to_be_visible()
    login_code_step(page, site)

    expect(page.get_by_role("heading", name="メニュー", level=1)).to_be_visible()
    open_add_input(page)
    expect(page.get_by_text("あと50番号まで追加できます")).to_be_visible()
    expect(button(page, "送信")).to_be_visible()
    expect(button(page, "リセット")).to_be_visible()
    expect(page.get_by_role("link", name="戻る", exact=True)).to_be_visible()

    send_count(page, "3")
    expect(page).to_have_url(re.compile(r"/numbers/add/confirm/\?token="))
    expect(page.get_by_role("row", name="追加番号数").get_by_role("cell")).to_have_text("3")
    fee = page.get_by_role("row", name="追加される月額料金").get_by_role("cell")
    expect(fee).to_have_text("1番号あたり330円 × 3番号 = 月額990円(税込)")
    expect(page.get_by_role("link", name="戻る", exact=True)).to_be_visible()
    assert applications(site) == []

    button(page, "実行").click()
    shown_number = expect_completion(page)

    (application,) = applications(site)
    assert shown_number == application.application_number
    assert application.count == 3
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(JA["columns"])
    rows = table.locator("tbody").get_by_role("row")
    expect(rows).to_have_count(3)
    lines = list(IssuedLine.objects.filter(application=application).order_by("number_id"))
    for row, line in zip(rows.all(), lines, strict=True):
        number, service_pin, sip_password = (cell.strip() for cell in row.get_by_role("cell").all_inner_texts())
        assert number == str(line.number)
        assert re.fullmatch(r"050-\d{4}-\d{4}", number)
        assert service_pin == line.service_pin() and re.fullmatch(r"\d{4}", service_pin)
        assert sip_password == line.sip_password() and len(sip_password) == 12
    expect(page.get_by_text("このページを印刷して保管されることをおすすめします")).to_be_visible()
    expect(button(page, "このページを印刷")).to_be_visible()
    assert tabs.errors == []


# 2. Double submission -----------------------------------------------------------------------------


def test_double_click_on_execute_makes_one_application(site, tabs):
    page = tabs.page()
    to_confirm(page, site, 2)
    posts = execute_posts(page)

    button(page, "実行").dblclick()
    shown_number = expect_completion(page)
    page.wait_for_load_state("networkidle")

    (application,) = applications(site)
    assert shown_number == application.application_number
    assert application.count == 2
    assert len(posts) >= 1
    expect(page.get_by_role("table").locator("tbody").get_by_role("row")).to_have_count(2)


def test_two_quick_clicks_from_script_make_one_application(site, tabs):
    page = tabs.page()
    to_confirm(page, site, 2)
    posts = execute_posts(page)

    # Two clicks in the same task: faster than any person, before the button can be disabled.
    page.evaluate(
        """() => {
            const execute = [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === "実行");
            execute.click();
            execute.click();
        }"""
    )
    shown_number = expect_completion(page)
    page.wait_for_load_state("networkidle")

    (application,) = applications(site)
    assert shown_number == application.application_number
    assert len(posts) == 1, "portal.js should send the form only once"


POST_FORM_TWICE = """async (together) => {
    const form = document.querySelector("form[action$='/numbers/add/execute/']");
    const post = () => fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin"})
        .then((response) => [response.status, new URL(response.url).pathname]);
    if (together) {
        return await Promise.all([post(), post()]);
    }
    const first = await post();
    return [first, await post()];
}"""
SUBMIT_WITHOUT_EVENT = "(form) => HTMLFormElement.prototype.submit.call(form)"  # no submit event: no JS guard


def post_execute_twice_then_submit(site: Site, tabs: Tabs, *, together: bool) -> None:
    """The server is the guarantee: the confirm form posted twice by script, then submitted once more."""
    page = tabs.page()
    to_confirm(page, site, 3)
    posts = execute_posts(page)

    landed = page.evaluate(POST_FORM_TWICE, together)
    page.locator(f"form[action$='{EXECUTE_PATH}']").evaluate(SUBMIT_WITHOUT_EVENT)
    shown_number = expect_completion(page)
    page.wait_for_load_state("networkidle")

    (application,) = applications(site)
    assert shown_number == application.application_number
    assert application.count == 3
    assert len(posts) == 3
    completion = f"/applications/{application.application_number}/"
    assert landed == [[200, completion], [200, completion]]
    assert IssuedLine.objects.filter(customer=site.customer).count() == 3
    assert tabs.errors == []


def test_form_posted_twice_in_a_row_makes_one_application(site, tabs):
    post_execute_twice_then_submit(site, tabs, together=False)


@pytest.mark.postgres
def test_form_posted_twice_at_once_makes_one_application(site, tabs):
    # Only on PostgreSQL: with in-memory SQLite the live server's request threads share one
    # connection (and its transaction state), so two requests at once cannot both run there.
    post_execute_twice_then_submit(site, tabs, together=True)


# 3. History navigation ----------------------------------------------------------------------------


def test_back_forward_and_refresh_keep_one_application(site, tabs):
    page = tabs.page()
    confirm_url = to_confirm(page, site, 3)
    button(page, "実行").click()
    shown_number = expect_completion(page)
    completion_url = page.url

    page.reload()
    assert expect_completion(page) == shown_number

    # Back to the confirm page: it is no-store, so the browser asks again and the used token
    # brings the same application back instead of a confirm page that could place another one.
    page.go_back()
    if page.url == confirm_url:  # a browser that restores the old confirm page from its cache
        button(page, "実行").click()
    assert expect_completion(page) == shown_number

    page.go_forward()
    page.reload()
    assert expect_completion(page) == shown_number
    assert page.url == completion_url
    assert len(applications(site)) == 1


def test_execute_on_a_stale_confirm_page_shows_the_same_application(site, tabs):
    first = tabs.page()
    confirm_url = to_confirm(first, site, 3)
    second = tabs.watch(first.context.new_page())  # same session, a second tab on the same confirm page
    second.goto(confirm_url)
    expect(button(second, "実行")).to_be_enabled()

    button(first, "実行").click()
    shown_number = expect_completion(first)
    button(second, "実行").click()
    assert expect_completion(second) == shown_number

    # Back from the completion page, then 実行 again wherever the browser lands.
    second.go_back()
    expect(second).to_have_url(re.compile(r"/applications/[^/]+/$|/numbers/add/confirm/"))
    if "/confirm/" in second.url:
        button(second, "実行").click()
    assert expect_completion(second) == shown_number
    assert len(applications(site)) == 1
    assert tabs.errors == []


# 4. 戻る and リセット -------------------------------------------------------------------------------


def test_back_keeps_the_value_and_reset_clears_it(site, tabs):
    page = tabs.page()
    login(page, site)
    open_add_input(page)
    field = page.get_by_label("追加番号数")

    field.fill("7")
    button(page, "リセット").click()
    expect(field).to_have_value("")

    send_count(page, "3")
    expect(page.get_by_role("row", name="追加番号数").get_by_role("cell")).to_have_text("3")
    page.get_by_role("link", name="戻る", exact=True).click()
    expect(page).to_have_url(re.compile(r"/numbers/add/\?count=3$"))
    expect(page.get_by_role("heading", name="050番号追加申込", level=1)).to_be_visible()
    expect(field).to_have_value("3")

    # On the page 戻る brought back, リセット returns the field to the value carried back (form reset).
    field.fill("5")
    button(page, "リセット").click()
    expect(field).to_have_value("3")

    send_count(page, "4")
    expect(page.get_by_role("row", name="追加番号数").get_by_role("cell")).to_have_text("4")
    assert applications(site) == []


# 5. Print ---------------------------------------------------------------------------------------


def test_completion_page_prints_the_table_without_navigation(site, tabs):
    page = tabs.page()
    to_confirm(page, site, 3)
    button(page, "実行").click()
    shown_number = expect_completion(page)

    # The print button calls window.print() (replaced here so the test does not open a dialog).
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button(page, "このページを印刷").click()
    assert page.evaluate("() => window.printed") == 1

    page.emulate_media(media="print")
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.locator("tbody").get_by_role("row")).to_have_count(3)
    expect(table.get_by_role("columnheader")).to_have_text(JA["columns"])
    expect(page.get_by_text(shown_number)).to_be_visible()
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_hidden()
    expect(page.get_by_role("button", name="ログアウト")).to_be_hidden()
    expect(page.get_by_role("link", name="番号一覧")).to_be_hidden()
    expect(page.get_by_label("言語")).to_be_hidden()
    expect(button(page, "このページを印刷")).to_be_hidden()
    expect(page.get_by_role("link", name="メニューへ戻る")).to_be_hidden()
    screenshot(page, "add-complete-print")

    pdf = ARTIFACTS / "print" / "add-complete.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(pdf), format="A4", print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5_000
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) == 1, "three numbers should print on one A4 page"


# 6 and 7. Every screen: axe-core, fit on a phone, and a screenshot ---------------------------------


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_every_screen_passes_axe_fits_and_is_photographed(site, tabs, phone):
    """At 1366×768 and 390×844: axe-core finds nothing, no page scrolls sideways, a screenshot of each."""
    page = tabs.page(phone=phone, bypass_csp=True)  # axe is injected as an inline script
    device = "phone" if phone else "desktop"
    problems: list[str] = []

    def visit(screen: str) -> None:
        screenshot(page, f"{screen}-{device}")
        problems.extend(describe_violations(screen, axe_violations(page)))
        if phone and (extra := horizontal_overflow(page, PHONE["width"])) > 0:
            problems.append(f"[{screen}] the page is {extra}px wider than the {PHONE['width']}px phone screen")
        if not fits_the_window(page):
            problems.append(f"[{screen}] the page scrolls sideways (scrollWidth > innerWidth)")
        if phone and (header := header_and_nav_height(page)) > 180:
            problems.append(f"[{screen}] the header and the menu take {header}px of {PHONE['height']}")
        problems.extend(f"[{screen}] split across lines: {broken}" for broken in broken_identifiers(page))

    page.goto(site.url("/login/"))
    visit("login")
    login_password_step(page, site)
    visit("verify")
    login_code_step(page, site)
    visit("menu")
    open_add_input(page)
    visit("add-input")
    send_count(page, "abc")
    expect(page.get_by_text("追加番号数は1から50までの半角または全角の数字で入力してください。")).to_be_visible()
    visit("add-input-errors")
    send_count(page, "3")
    expect(button(page, "実行")).to_be_visible()
    expect(page.get_by_role("table", name="お申込み内容")).to_be_visible()
    visit("add-confirm")
    button(page, "実行").click()
    expect_completion(page)
    expect(page.get_by_role("table", name="追加されたIP電話番号(050番号)とパスワード")).to_be_visible()
    visit("add-complete")
    nav_link(page, "番号一覧").click()
    expect(page.get_by_role("heading", name="番号一覧", level=1)).to_be_visible()
    numbers = page.get_by_role("table", name="お客様のIP電話番号(050番号)")
    expect(numbers.locator("tbody").get_by_role("row")).to_have_count(3)
    visit("numbers")
    nav_link(page, "申込履歴").click()
    expect(page.get_by_role("heading", name="申込履歴", level=1)).to_be_visible()
    expect(page.get_by_role("table", name="お申込みの履歴").locator("tbody").get_by_role("row")).to_have_count(1)
    visit("applications")
    nav_link(page, "メニュー").click()
    open_add_input(page)
    expect(page.get_by_text("(1~47)")).to_be_visible()
    send_count(page, "48")  # 47 left after the 3 above
    expect(page.get_by_text("あと47番号まで追加できます。", exact=False).last).to_be_visible()
    expect(page.get_by_label("追加番号数")).to_have_value("48")
    visit("add-input-over-limit")
    Customer.objects.filter(pk=site.customer.pk).update(addition_limit=F("numbers_added"))
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("これ以上番号を追加できません")
    visit("add-input-limit-reached")
    PhoneNumber.objects.filter(status=PhoneNumber.Status.FREE).update(status=PhoneNumber.Status.ASSIGNED)
    Customer.objects.filter(pk=site.customer.pk).update(addition_limit=50)
    page.goto(site.url("/numbers/add/"))
    send_count(page, "2")
    button(page, "実行").click()
    expect(page.get_by_role("heading", name="番号を追加できませんでした", level=1)).to_be_visible()
    visit("add-refused")
    nav_link(page, "パスワード変更").click()
    expect(page.get_by_role("heading", name="パスワード変更", level=1)).to_be_visible()
    visit("password")
    button(page, "送信").click()
    expect(page.get_by_text("このフィールドは必須です。")).to_have_count(3)
    visit("password-errors")
    page.get_by_label("現在のパスワード", exact=True).fill(PASSWORD)
    page.get_by_label("新しいパスワード", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("新しいパスワード(確認)", exact=True).fill(NEW_PASSWORD)
    button(page, "送信").click()
    expect(page.get_by_role("heading", name="パスワード変更", level=1)).to_be_visible()
    expect(page.get_by_label("現在のパスワード", exact=True)).to_have_count(0)
    visit("password-done")
    page.goto(site.url("/no-such-page/"))
    visit("not-found")

    assert not problems, "\n".join(problems)
    assert len(applications(site)) == 1


# 7b. The limit, as the input page says it ----------------------------------------------------------


def test_the_input_page_shows_the_real_maximum_refuses_over_it_at_the_field_and_no_form_at_the_limit(site, tabs):
    Customer.objects.filter(pk=site.customer.pk).update(addition_limit=10, numbers_added=8)
    page = tabs.page()
    login(page, site)
    open_add_input(page)
    expect(page.get_by_text("(1~2)", exact=True)).to_be_visible()

    send_count(page, "3")
    expect(page.get_by_role("heading", name="050番号追加申込", level=1)).to_be_visible()
    field = page.get_by_label("追加番号数")
    expect(field).to_have_value("3")
    expect(page.locator(".errorlist")).to_have_text(
        "番号追加上限数(累計10番号、解約済みを含む)を超えるため追加できません。あと2番号まで追加できます。"
    )
    expect(page.get_by_text("営業担当にご相談いただくか、お客様センターまでお電話ください")).to_have_count(0)

    send_count(page, "2")
    button(page, "実行").click()
    expect_completion(page)
    nav_link(page, "メニュー").click()
    page.get_by_role("listitem").filter(has_text="050番号追加申込").get_by_role("link", name="入力画面").click()
    expect(page.get_by_role("heading", name="050番号追加申込", level=1)).to_be_visible()
    expect(page.get_by_label("追加番号数")).to_have_count(0)
    expect(button(page, "送信")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_text(
        "番号追加上限数(解約済みを含め累計10番号)まで追加済み(10番号)のため、セルフケアではこれ以上番号を追加できません。"
    )
    expect(
        page.get_by_text("営業担当にご相談いただくか、お客様センターまでお電話ください", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name=re.compile(r"^[0-9-]+$")).first).to_have_attribute(
        "href", re.compile(r"^tel:")
    )
    assert tabs.errors == []


def test_a_pool_running_short_at_execute_says_so_and_leads_back_to_the_input_page(site, tabs):
    page = tabs.page()
    to_confirm(page, site, 3)
    PhoneNumber.objects.filter(status=PhoneNumber.Status.FREE).update(status=PhoneNumber.Status.ASSIGNED)
    button(page, "実行").click()
    expect(page.get_by_role("heading", name="番号を追加できませんでした", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("番号は追加されていません")
    expect(page.get_by_text("セルフケアで追加できる番号数は", exact=False)).to_have_count(0)
    page.get_by_role("link", name="入力画面へ戻る").click()
    expect(page.get_by_label("追加番号数")).to_have_value("3")
    assert applications(site) == []
    assert tabs.errors == []


# 7c. A cancelled number ---------------------------------------------------------------------------


def test_a_cancelled_number_is_marked_on_the_completion_page_and_the_numbers_list_without_passwords(site, tabs):
    page = tabs.page()
    to_confirm(page, site, 2)
    button(page, "実行").click()
    expect_completion(page)
    kept, gone = IssuedLine.objects.filter(customer=site.customer).order_by("number_id")
    today = clock.today()
    numbers_cancel(numbers=[gone.number_id], received_on=today, effective_on=today, actor=Actor.system("tests"))

    page.reload()
    table = page.get_by_role("table", name="追加されたIP電話番号(050番号)とパスワード")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["IP電話番号(050番号)", "状態", "付加サービスパスワード", "IP加入電話パスワード"]
    )
    gone_row = table.get_by_role("row").filter(has_text=str(gone.number))
    expect(gone_row.get_by_role("cell")).to_have_text(
        [str(gone.number), f"解約済み ({today:%Y-%m-%d})", "表示なし(解約済み)", "表示なし(解約済み)"]
    )
    kept_row = table.get_by_role("row").filter(has_text=str(kept.number))
    expect(kept_row.get_by_role("cell")).to_have_text(
        [str(kept.number), "利用中", kept.service_pin(), kept.sip_password()]
    )
    assert gone.sip_password() not in page.content()
    screenshot(page, "add-complete-cancelled-desktop")

    nav_link(page, "番号一覧").click()
    numbers = page.get_by_role("table", name="お客様のIP電話番号(050番号)")
    expect(numbers.get_by_role("row").filter(has_text=str(gone.number)).get_by_role("cell").nth(1)).to_have_text(
        f"解約済み ({today:%Y-%m-%d})"
    )
    expect(numbers.get_by_role("row").filter(has_text=str(kept.number)).get_by_role("cell").nth(1)).to_have_text(
        "利用中"
    )
    expect(page.get_by_text(f"{today:%Y-%m-%d}解約")).to_have_count(0)
    assert tabs.errors == []


# 8. English -------------------------------------------------------------------------------------


def test_language_selector_switches_to_english_and_back(site, tabs):
    page = tabs.page()
    page.goto(site.url("/login/"))
    page.get_by_label("言語").select_option("en")
    button(page, "切替").click()
    expect(page.get_by_role("heading", name="Self-care login", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Self-care ID")).to_be_visible()

    login_password_step(page, site, EN)
    expect(page.get_by_role("heading", name="Two-step verification", level=1)).to_be_visible()
    login_code_step(page, site, EN)
    expect(page.get_by_role("heading", name="Menu", level=1)).to_be_visible()
    expect(nav_link(page, "My numbers", EN)).to_be_visible()
    open_add_input(page, EN)
    expect(page.get_by_text("You can add 50 more numbers")).to_be_visible()
    send_count(page, "2", EN)
    expect(page.get_by_role("row", name="Numbers to add").get_by_role("cell")).to_have_text("2")
    fee = page.get_by_role("row", name="Monthly fee added").get_by_role("cell")
    expect(fee).to_have_text("330 yen per number × 2 = 660 yen a month (tax included)")
    expect(page.get_by_role("link", name="Back", exact=True)).to_be_visible()
    button(page, "Execute").click()
    shown_number = expect_completion(page, EN)
    expect(page.get_by_role("table").get_by_role("columnheader")).to_have_text(EN["columns"])

    page.get_by_label("Language").select_option("ja")
    button(page, "Change").click()
    assert expect_completion(page) == shown_number
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("table").get_by_role("columnheader")).to_have_text(JA["columns"])
    assert tabs.errors == []


# 9. The code page tells the truth ------------------------------------------------------------------


def test_after_five_wrong_codes_a_new_login_says_no_code_was_sent_and_offers_a_new_one(site, tabs):
    page = tabs.page()
    page.goto(site.url("/login/"))
    login_password_step(page, site)
    expect(page.get_by_text(re.compile(r"6桁の認証コードを\d\d:\d\dにお送りしました。"))).to_be_visible()
    wrong = f"{(int(login_code(site.outbox[-1])) + 1) % 10**6:06d}"
    for _ in range(5):
        page.get_by_label("認証コード").fill(wrong)
        button(page, "送信").click()
    expect(page.get_by_role("alert")).to_have_text(
        "前回の認証コードは5回誤って入力されたため、無効になりました。 新しい認証コードは送信していません。"
    )

    page.goto(site.url("/login/"))
    login_password_step(page, site)  # within the minute: no new mail goes out
    assert len(site.outbox) == 1
    expect(page.get_by_role("alert")).to_contain_text("新しい認証コードは送信していません。")
    expect(page.get_by_text("お送りしました")).to_have_count(0)
    expect(page.get_by_label("認証コード")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"新しい認証コードは\d\d:\d\d:\d\d以降に送信できます"))).to_be_visible()
    send_new = button(page, "新しい認証コードを送信")
    expect(send_new).to_be_disabled()
    screenshot(page, "verify-no-code-desktop")

    LoginCode.objects.update(created_at=F("created_at") - dt.timedelta(seconds=61))
    page.reload()
    expect(page.get_by_text("新しい認証コードを今すぐ送信できます", exact=False)).to_be_visible()
    button(page, "新しい認証コードを送信").click()
    expect(page.get_by_role("status")).to_have_text("新しい認証コードを送信しました。以前のコードは使えません。")
    expect(page.get_by_text(re.compile(r"6桁の認証コードを\d\d:\d\dにお送りしました。"))).to_be_visible()
    assert len(site.outbox) == 2
    login_code_step(page, site)
    assert tabs.errors == []


# 10. The manual's login screen, sentence by sentence ------------------------------------------------

MANUAL_LOGIN_SCREEN = [
    "セルフケアログイン",
    "ログイン認証チェックを行います。",
    "※ご本人様確認のため、ログイン後、ご契約時に登録のメールアドレス宛に認証コードをお送りします。",
    "お手元に「サービス開始のご案内」をご用意いただき、「セルフケアID」「セルフケアパスワード」をご入力ください。",
    "紛失等により情報漏洩が発生しますと、第三者に悪用される恐れがありますので、本紙記載のIDやパスワード等につきましては、"
    "お客様において責任をもって管理いただきますようお願いいたします。",
    "お客様が第三者に共有する場合は、お客様の責任においてお取り扱いください。",
    "★セルフケア情報",
    "セルフケアIDを入力してください。",
    "セルフケアパスワードを入力してください。",
    "※ご登録メールアドレスによる二段階認証を行います",
]


def test_the_login_page_has_every_sentence_of_the_manuals_login_screen(site, tabs):
    page = tabs.page()
    page.goto(site.url("/login/"))
    text = page.get_by_role("main").inner_text()

    missing = [sentence for sentence in MANUAL_LOGIN_SCREEN if sentence not in text.replace("\n", "")]
    assert missing == []
    expect(page.get_by_text("お客様が第三者に共有する場合は", exact=False)).to_be_visible()


# 11. Logout, idle timeout and the password page ----------------------------------------------------


def test_logout_says_so_and_the_password_page_has_plain_labels_and_the_account_for_password_managers(site, tabs):
    page = tabs.page()
    login(page, site)
    nav_link(page, "パスワード変更").click()
    for label in ["現在のパスワード", "新しいパスワード", "新しいパスワード(確認)"]:
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    main_text = page.get_by_role("main").inner_text()
    assert ":" not in main_text and "最低" not in main_text
    account = page.locator("input[autocomplete=username]")
    expect(account).to_have_value(site.customer.selfcare_id)
    expect(account).to_be_hidden()
    page.get_by_label("現在のパスワード", exact=True).fill("correct horse battery staple")
    page.get_by_label("新しいパスワード", exact=True).fill("short")
    page.get_by_label("新しいパスワード(確認)", exact=True).fill("short")
    button(page, "送信").click()
    expect(page.get_by_text("パスワードが短すぎます。15文字以上にしてください。")).to_be_visible()

    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", name="セルフケアログイン", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("ログアウトしました。")
    assert tabs.errors == []


def test_a_refused_login_says_logins_pause_and_links_the_customer_centre(site, tabs):
    page = tabs.page(phone=True)
    page.goto(site.url("/login/"))
    page.get_by_label("セルフケアID").fill(site.customer.selfcare_id)
    page.get_by_label("セルフケアパスワード").fill("not the right password at all")
    button(page, "送信").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_text("ログインの失敗が続くと、しばらくの間ログインできなくなります", exact=False)).to_have_count(
        1
    )
    centre = page.get_by_role("main").get_by_role("link", name=re.compile(r"^[0-9-]+$"))
    expect(centre).to_have_attribute("href", re.compile(r"^tel:"))
    lift = "お客様センターでお客様のアカウントを確認し、停止を解除できます"
    expect(page.get_by_text(lift, exact=False)).to_be_visible()
    screenshot(page, "login-refused-phone")
    assert horizontal_overflow(page, PHONE["width"]) <= 0
    desktop = tabs.page()
    desktop.goto(site.url("/login/"))
    desktop.get_by_label("セルフケアID").fill("nobody-here")
    desktop.get_by_label("セルフケアパスワード").fill("not the right password at all")
    button(desktop, "送信").click()
    expect(desktop.get_by_text("最長1日", exact=False)).to_be_visible()
    screenshot(desktop, "login-refused-desktop")
    assert horizontal_overflow(desktop, 1366) <= 0
    assert tabs.errors == []
