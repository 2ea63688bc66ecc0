"""Every customer screen carries the manual's Japanese labels; English when the customer switches."""

from __future__ import annotations

from selfcare.portal.tests.conftest import html, log_in, password_step, place


def test_given_default_language_when_login_page_shown_then_it_has_the_manuals_labels(client, db):
    response = client.get("/login/")

    page = html(response)
    assert response.status_code == 200
    assert '<html lang="ja">' in page
    for label in ("セルフケアログイン", "セルフケアID", "セルフケアパスワード", "送信", "リセット"):
        assert label in page, label
    assert "メール" in page  # the notice about two-step verification by registered e-mail


def test_given_password_step_passed_when_verify_page_shown_then_it_asks_for_the_認証コード(client, login_customer):
    password_step(client, login_customer.selfcare_id)

    response = client.get("/login/verify/")

    page = html(response)
    assert response.status_code == 200
    assert "認証コード" in page and "送信" in page


def test_given_logged_in_when_menu_shown_then_the_manuals_menu_path_is_there(logged_in):
    page = html(logged_in.get("/menu/"))

    for label in ("各種サービス設定・変更", "050番号追加申込", "入力画面"):
        assert label in page, label
    assert 'href="/numbers/add/"' in page


def test_given_logged_in_when_input_page_shown_then_field_and_buttons_have_the_manuals_labels(logged_in):
    page = html(logged_in.get("/numbers/add/"))

    for label in ("050番号追加申込", "追加番号数", "送信", "リセット", "戻る"):
        assert label in page, label


def test_given_a_count_entered_when_confirm_page_shown_then_it_has_実行_and_戻る(logged_in, pool):
    response = logged_in.post("/numbers/add/", {"count": "2"})

    page = html(logged_in.get(response.url))
    for label in ("追加番号数", "実行", "戻る"):
        assert label in page, label


def test_given_an_application_placed_when_complete_page_shown_then_completion_text_and_table_headers(logged_in, pool):
    page = html(logged_in.get(place(logged_in, 2)))

    for label in (
        "以下のIP電話番号(050番号)が追加されました。",
        "IP電話番号(050番号)",
        "付加サービスパスワード",
        "IP加入電話パスワード",
        "申込番号",
    ):
        assert label in page, label


def test_given_numbers_added_when_lists_shown_then_headers_are_japanese(logged_in, pool):
    place(logged_in, 1)

    numbers = html(logged_in.get("/numbers/"))
    applications = html(logged_in.get("/applications/"))

    assert "IP電話番号(050番号)" in numbers and "申込番号" in numbers
    assert "申込番号" in applications


def switch_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302


def test_given_english_chosen_when_login_page_shown_then_labels_are_english(client, db):
    switch_to_english(client)

    page = html(client.get("/login/"))

    assert '<html lang="en">' in page
    for label in ("Self-care login", "Self-care ID", "Self-care password", "Send", "Reset"):
        assert label in page, label
    assert "セルフケアログイン" not in page


def test_given_english_chosen_when_logged_in_then_every_step_of_adding_numbers_is_english(
    client, login_customer, mailoutbox, pool
):
    switch_to_english(client)
    log_in(client, login_customer, mailoutbox)

    menu = html(client.get("/menu/"))
    entry = html(client.get("/numbers/add/"))
    token_url = client.post("/numbers/add/", {"count": "1"}).url
    confirm = html(client.get(token_url))
    complete = html(client.get(place(client, 1)))

    assert "Service settings and changes" in menu and "Input page" in menu
    assert "Numbers to add" in entry and "追加番号数" not in entry
    assert "Execute" in confirm and "Back" in confirm and "実行" not in confirm
    assert "The following IP phone numbers (050 numbers) have been added." in complete
    assert "Additional service password" in complete and "IP phone password" in complete
    assert "Application number" in complete
