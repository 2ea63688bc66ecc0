"""Customer sessions: 30 minutes idle, 12 hours in all, logout by POST only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from selfcare.portal.tests.conftest import PASSWORD, html, log_in, notice_text
from selfcare.testing import login_code


def test_given_29_idle_minutes_when_the_customer_comes_back_then_still_logged_in(
    client, login_customer, mailoutbox, frozen
):
    log_in(client, login_customer, mailoutbox)
    frozen.shift(dt.timedelta(minutes=29))

    assert client.get("/menu/").status_code == 200


def test_given_31_idle_minutes_when_the_customer_comes_back_then_logged_out(client, login_customer, mailoutbox, frozen):
    log_in(client, login_customer, mailoutbox)
    frozen.shift(dt.timedelta(minutes=31))

    response = client.get("/menu/")

    assert response.status_code == 302 and response.url == "/login/?next=%2Fmenu%2F"
    assert client.get("/numbers/").url == "/login/"


def test_given_an_idle_session_ended_when_sent_to_login_then_the_page_says_why(
    client, login_customer, mailoutbox, frozen
):
    log_in(client, login_customer, mailoutbox)
    frozen.shift(dt.timedelta(minutes=31))

    page = client.get(client.get("/menu/").url)

    with translation.override("ja"):
        expected = gettext("Your session ended. Please log in again.")
    assert page.status_code == 200 and notice_text(page) == expected


def test_given_an_idle_session_when_it_ends_then_a_form_post_is_refused_too(
    client, login_customer, mailoutbox, frozen, pool
):
    log_in(client, login_customer, mailoutbox)
    frozen.shift(dt.timedelta(minutes=31))

    response = client.post("/numbers/add/", {"count": "1"})

    assert response.status_code == 302 and response.url == "/login/"


def test_given_steady_activity_when_12_hours_have_passed_then_logged_out_anyway(
    client, login_customer, mailoutbox, frozen
):
    log_in(client, login_customer, mailoutbox)
    step = dt.timedelta(minutes=25)
    elapsed = dt.timedelta(0)
    while elapsed + step < dt.timedelta(hours=12):
        frozen.shift(step)
        elapsed += step
        assert client.get("/menu/").status_code == 200, f"logged out after {elapsed}"

    frozen.shift(dt.timedelta(hours=12) - elapsed + dt.timedelta(seconds=1))
    response = client.get("/menu/")

    assert response.status_code == 302 and response.url == "/login/?next=%2Fmenu%2F"


def test_given_a_logged_in_customer_when_logging_out_by_post_then_the_session_is_gone(logged_in):
    key = logged_in.cookies["sessionid"].value

    response = logged_in.post("/logout/")

    assert response.status_code == 302 and response.url == "/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert logged_in.get("/menu/").url == "/login/"


def test_given_a_logged_in_customer_when_logout_is_requested_by_get_then_not_allowed(logged_in):
    response = logged_in.get("/logout/")

    assert response.status_code == 405
    assert logged_in.get("/menu/").status_code == 200


def test_given_a_logged_out_session_when_its_old_cookie_is_replayed_then_it_is_not_logged_in(logged_in):
    key = logged_in.cookies["sessionid"].value
    logged_in.post("/logout/")

    thief = Client()
    thief.cookies["sessionid"] = key

    assert thief.get("/menu/").url == "/login/"


def test_given_an_idle_timeout_when_logging_in_again_then_back_on_the_page_the_customer_was_on(
    client, login_customer, mailoutbox, frozen
):
    log_in(client, login_customer, mailoutbox)
    frozen.shift(dt.timedelta(minutes=31))

    ended = client.get("/applications/?page=1")
    login_page = client.get(ended.url)
    client.post(ended.url, {"selfcare_id": login_customer.selfcare_id, "password": PASSWORD})
    frozen.shift(dt.timedelta(seconds=61))
    back = client.post("/login/verify/", {"code": login_code(mailoutbox[-1])})

    assert ended.url == "/login/?next=%2Fapplications%2F%3Fpage%3D1"
    assert '<input type="hidden" name="next" value="/applications/?page=1">' in html(login_page)
    assert back.status_code == 302 and back.url == "/applications/?page=1"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/menu/", "/\\evil.example", "javascript:alert(1)", "/staff/", "/logout/"],
)
def test_given_an_unsafe_next_when_logging_in_then_the_menu_instead(client, login_customer, mailoutbox, next_url):
    page = client.get("/login/", {"next": next_url})
    client.post("/login/", {"selfcare_id": login_customer.selfcare_id, "password": PASSWORD, "next": next_url})
    back = client.post("/login/verify/", {"code": login_code(mailoutbox[-1])})

    assert html(page).count('name="next"') == 1  # the language switch's own
    assert back.url == "/menu/"


def test_given_a_customer_when_logging_out_then_the_login_page_says_so(client, login_customer, mailoutbox):
    log_in(client, login_customer, mailoutbox)

    page = client.get(client.post("/logout/").url)

    assert notice_text(page) == "ログアウトしました。"
    assert client.get("/menu/").url == "/login/"
