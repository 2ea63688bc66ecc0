"""Credentials shown with care, each customer sees only their own, security headers, CSRF, password changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.test import Client

from selfcare.accounts.models import User
from selfcare.inventory.models import format_number
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.portal.tests.conftest import PASSWORD, draft, html, log_in, password_step, place
from selfcare.testing import jobs_run

COMMON_LONG_PASSWORD = "1q2w3e4r5t6y7u8i9o0p"  # 20 characters, in Django's common-password list
NEW_PASSWORD = "a quiet meadow under seven lanterns"


# Issued credentials -----------------------------------------------------------------------------


def test_given_an_application_when_its_page_is_sent_then_it_must_not_be_stored(logged_in, pool):
    response = logged_in.get(place(logged_in, 1))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_given_a_fresh_application_when_shown_then_both_passwords_are_on_the_page(logged_in, login_customer, pool):
    page = html(logged_in.get(place(logged_in, 2)))

    lines = IssuedLine.objects.filter(customer=login_customer)
    assert lines.count() == 2
    for line in lines:
        assert line.service_pin() and line.service_pin() in page
        assert line.sip_password() and line.sip_password() in page


def test_given_the_show_window_has_passed_when_the_application_is_shown_again_then_passwords_are_masked(
    logged_in, login_customer, pool, frozen, settings
):
    settings.SELFCARE_SHOW_PASSWORDS_MINUTES = 20
    url = place(logged_in, 2)
    lines = list(IssuedLine.objects.filter(customer=login_customer))

    frozen.shift(dt.timedelta(minutes=19))
    within = html(logged_in.get(url))
    frozen.shift(dt.timedelta(minutes=2))
    after = html(logged_in.get(url))

    for line in lines:
        assert line.sip_password() in within
        assert line.sip_password() not in after
        assert f'<td class="secret">{line.service_pin()}</td>' not in after
        assert format_number(line.number_id) in after  # the numbers themselves are still listed
    assert 'class="masked"' in after and "20" in after


def test_given_another_customers_application_when_its_url_is_opened_then_not_found(
    logged_in, other_customer, pool, actor
):
    theirs = numbers_add(customer_id=other_customer.pk, count=1, idempotency_key="theirs", actor=actor).application

    response = logged_in.get(f"/applications/{theirs.application_number}/")

    assert response.status_code == 404
    assert theirs.lines.get().sip_password() not in html(response)


def test_given_an_unknown_application_number_when_opened_then_not_found(logged_in, db):
    assert logged_in.get("/applications/000000-NOTHING1/").status_code == 404


def test_given_two_customers_with_numbers_when_one_lists_numbers_then_only_their_own(
    logged_in, login_customer, other_customer, pool, actor
):
    theirs = numbers_add(customer_id=other_customer.pk, count=2, idempotency_key="theirs", actor=actor).application
    place(logged_in, 1)
    mine = Application.objects.get(customer=login_customer)

    numbers = html(logged_in.get("/numbers/"))
    applications = html(logged_in.get("/applications/"))

    for line in mine.lines.all():
        assert format_number(line.number_id) in numbers
    for line in theirs.lines.all():
        assert format_number(line.number_id) not in numbers
    assert theirs.application_number not in numbers and theirs.application_number not in applications
    assert mine.application_number in applications


def test_given_anonymous_visitor_when_opening_customer_pages_then_sent_to_login(client, db):
    for url in (
        "/menu/",
        "/numbers/",
        "/numbers/add/",
        "/applications/",
        "/applications/261124-ABCDEFGH/",
        "/password/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url == "/login/", url
    assert client.post("/numbers/add/execute/", {"token": "t"}).url == "/login/"


# Headers and CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login/", "/menu/", "/numbers/add/", "/numbers/"])
def test_given_a_portal_page_when_sent_then_it_carries_the_security_headers(logged_in, url):
    response = logged_in.get(url) if url != "/login/" else Client().get(url)

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_given_the_pages_when_rendered_then_nothing_inline_needs_unsafe_inline(logged_in, pool):
    token = draft(logged_in, 1)
    pages = [
        html(Client().get("/login/")),
        html(logged_in.get("/menu/")),
        html(logged_in.get("/numbers/add/")),
        html(logged_in.post("/numbers/add/", {"count": "abc"})),
        html(logged_in.get(f"/numbers/add/confirm/?token={token}")),
        html(logged_in.get(place(logged_in, 1))),
        html(logged_in.get("/password/")),
    ]

    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
        assert not re.search(r"<style\b", page), "inline style element"
        assert not re.search(r"\sstyle=", page), "style attribute"
        assert not re.search(r"\son[a-z]+=", page), "event handler attribute"


def test_given_a_post_without_csrf_token_when_logging_in_then_forbidden(login_customer, mailoutbox):
    strict = Client(enforce_csrf_checks=True)

    response = password_step(strict, login_customer.selfcare_id, PASSWORD)

    assert response.status_code == 403
    assert mailoutbox == []


def test_given_a_logged_in_customer_when_a_post_lacks_the_csrf_token_then_forbidden_and_nothing_created(
    login_customer, pool
):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(login_customer.user)
    page = html(strict.get("/numbers/add/"))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    forged = strict.post("/numbers/add/", {"count": "1"})
    genuine = strict.post("/numbers/add/", {"count": "1", "csrfmiddlewaretoken": csrf})

    assert forged.status_code == 403
    assert genuine.status_code == 302 and genuine.url.startswith("/numbers/add/confirm/")
    token = genuine.url.split("token=")[1]
    assert strict.post("/numbers/add/execute/", {"token": token}).status_code == 403
    assert Application.objects.count() == 0


def test_given_a_logged_in_customer_when_logout_is_posted_without_csrf_then_forbidden(login_customer):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(login_customer.user)

    assert strict.post("/logout/").status_code == 403
    assert strict.get("/menu/").status_code == 200


# Password change ------------------------------------------------------------------------------


def change(client, old: str, new: str, repeat: str | None = None):
    return client.post(
        "/password/", {"old_password": old, "new_password1": new, "new_password2": new if repeat is None else repeat}
    )


def password_is(customer, password: str) -> bool:
    return User.objects.get(pk=customer.user.pk).check_password(password)


def test_given_the_common_password_chosen_for_the_tests_when_checked_then_it_is_really_common_and_long():
    assert len(COMMON_LONG_PASSWORD) >= 15
    with pytest.raises(ValidationError):
        CommonPasswordValidator().validate(COMMON_LONG_PASSWORD)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", NEW_PASSWORD),
        ("not my current password", NEW_PASSWORD),
        (PASSWORD, "fourteen-chars"),
        (PASSWORD, "x" * 100 + " and some more words to pass 128"),
        (PASSWORD, COMMON_LONG_PASSWORD),
        (PASSWORD, ""),
    ],
    ids=["no-current", "wrong-current", "14-chars", "over-128", "common", "empty"],
)
def test_given_a_bad_password_change_when_sent_then_refused_with_an_error_and_unchanged(
    logged_in, login_customer, mailoutbox, old, new
):
    sent_before = len(mailoutbox)

    response = change(logged_in, old, new)

    assert response.status_code == 200
    assert "errorlist" in html(response)
    assert password_is(login_customer, PASSWORD)
    assert len(mailoutbox) == sent_before


def test_given_the_new_passwords_differ_when_sent_then_refused(logged_in, login_customer):
    response = change(logged_in, PASSWORD, NEW_PASSWORD, repeat=NEW_PASSWORD + "!")

    assert "errorlist" in html(response)
    assert password_is(login_customer, PASSWORD)


def test_given_a_129_character_password_when_sent_then_refused_as_too_long(logged_in, login_customer):
    too_long = ("lantern " * 17)[:129]
    assert len(too_long) == 129

    response = change(logged_in, PASSWORD, too_long)

    assert "errorlist" in html(response) and "128" in html(response)
    assert password_is(login_customer, PASSWORD)


LONG_PHRASE = (  # 128 characters of the customer's own words, none repeated
    "autumn lanterns drift past the quiet harbour while seven herons argue over breakfast near a crooked "
    "blue fishing boat at dawn ok"
)


@pytest.mark.parametrize(
    "new",
    ["fifteen-chars!!", LONG_PHRASE, "パスワードは十五文字以上の日本語でもよい"],
    ids=["15", "128", "ja"],
)
def test_given_a_good_password_when_changed_then_a_notice_is_mailed_and_the_customer_stays_logged_in(
    logged_in, login_customer, mailoutbox, new
):
    sent_before = len(mailoutbox)

    response = change(logged_in, PASSWORD, new)
    jobs_run()  # the notice goes after the commit

    assert response.status_code == 200 and "errorlist" not in html(response)
    assert password_is(login_customer, new)
    assert len(mailoutbox) == sent_before + 1
    notice = mailoutbox[-1]
    assert notice.to == [login_customer.user.email]
    assert new not in notice.body
    assert logged_in.get("/menu/").status_code == 200


def test_given_a_changed_password_when_logging_in_again_then_only_the_new_one_works(
    logged_in, login_customer, mailoutbox, frozen
):
    change(logged_in, PASSWORD, NEW_PASSWORD)
    logged_in.post("/logout/")
    frozen.shift(dt.timedelta(minutes=2))

    old = password_step(Client(), login_customer.selfcare_id, PASSWORD)
    fresh = Client()
    log_in(fresh, login_customer, mailoutbox, password=NEW_PASSWORD)

    assert old.status_code == 200
    assert fresh.get("/menu/").status_code == 200


def test_given_a_password_change_when_another_session_was_open_then_that_session_ends(
    client, login_customer, mailoutbox, frozen
):
    log_in(client, login_customer, mailoutbox)
    frozen.shift(dt.timedelta(minutes=2))
    other_device = Client()
    log_in(other_device, login_customer, mailoutbox)

    change(client, PASSWORD, NEW_PASSWORD)

    assert client.get("/menu/").status_code == 200
    assert other_device.get("/menu/").url == "/login/"
