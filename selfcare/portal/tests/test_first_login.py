"""A password set by staff or posted on a letter is changed at the first login, before anything else."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from selfcare.accounts.models import User
from selfcare.accounts.services import customer_create, customer_password_change, customer_reset_password
from selfcare.portal.tests.conftest import PASSWORD, html, log_in, notice_text

NEW_PASSWORD = "a brand new phrase of my very own"
WHY = "パスワードは当社で設定した初期パスワードです"
BEHIND_THE_LOGIN = ["/menu/", "/numbers/", "/applications/", "/numbers/add/", "/applications/260101-ABCDEFGH/"]


def flagged(customer) -> bool:
    return User.objects.get(pk=customer.user_id).password_change_required


@pytest.mark.parametrize("password", [None, "a long passphrase nobody guesses"])
def test_customer_create_flags_a_generated_or_staff_chosen_password(plan, actor, password):
    created = customer_create(
        selfcare_id="newco0001",
        email="newco@example.com",
        contract_name="新規商事",
        plan_code=plan.code,
        password=password,
        actor=actor,
    )

    assert flagged(created.customer)


def test_create_customer_with_a_password_given_by_staff_flags_it(plan):
    call_command(
        "create_customer",
        "--selfcare-id=cmd0001",
        "--email=cmd@example.com",
        "--name=コマンド商事",
        f"--plan={plan.code}",
        "--password=a long passphrase nobody guesses",
        stdout=io.StringIO(),
    )

    assert User.objects.get(username="cmd0001").password_change_required


def test_a_staff_reset_flags_the_password_and_the_customers_own_change_clears_it(customer, actor):
    customer_reset_password(customer_id=customer.pk, actor=actor)
    assert flagged(customer)

    customer_password_change(customer_id=customer.pk, new_password=NEW_PASSWORD, actor=actor)
    assert not flagged(customer)


def test_given_a_flagged_password_then_after_the_code_every_page_leads_to_the_password_page_until_changed(
    client, login_customer, mailoutbox
):
    User.objects.filter(pk=login_customer.user_id).update(password_change_required=True)
    log_in(client, login_customer, mailoutbox)

    for url in BEHIND_THE_LOGIN:
        response = client.get(url)
        assert (response.status_code, response.url) == (302, "/password/"), url
    assert client.post("/numbers/add/", {"count": "1"}).url == "/password/"
    page = client.get("/password/")
    assert page.status_code == 200 and WHY in notice_text(page)
    assert "お客様センターが設定" not in html(page)
    menu = re.search(r'<nav class="main".*?</nav>', html(page), re.S).group(0)
    assert not re.search(r"<a href=", menu), "the menu's links only lead back here"
    assert 'action="/logout/"' in menu  # logging out still works

    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 200 and "パスワードを変更しました" in html(response)
    assert not flagged(login_customer)
    assert client.get("/menu/").status_code == 200
    assert notice_text(client.get("/password/")) is None
    assert 'href="/numbers/"' in re.search(r'<nav class="main".*?</nav>', html(client.get("/menu/")), re.S).group(0)


def test_given_no_flag_then_the_pages_open_as_before(logged_in):
    assert logged_in.get("/menu/").status_code == 200
    assert logged_in.get("/numbers/").status_code == 200


def test_seed_demos_printed_demo_login_reaches_the_menu_in_one_go(client, db, mailoutbox, settings, tmp_path):
    settings.SELFCARE_VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    password = re.search(r"セルフケアパスワード: (\S+)", out.getvalue()).group(1)
    demo = User.objects.get(username="demo0001").customer

    assert not flagged(demo)
    log_in(client, demo, mailoutbox, password=password)
    assert client.get("/menu/").status_code == 200
