"""Staff sessions end after 15 idle minutes and 12 hours in all, like the customers' (30 idle)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from django.utils.translation import gettext

from selfcare.portal.middleware import ABSOLUTE, STAFF_IDLE


@pytest.fixture
def frozen(time_machine):
    from django.utils import timezone

    time_machine.move_to(timezone.now().replace(microsecond=0), tick=False)
    return time_machine


def test_given_staff_idle_for_less_than_the_limit_when_they_come_back_then_still_logged_in(frozen, superuser, world):
    assert superuser.get("/staff/").status_code == 200
    frozen.shift(STAFF_IDLE - dt.timedelta(minutes=1))

    assert superuser.get("/staff/accounts/customer/").status_code == 200


def test_given_staff_idle_past_the_limit_when_they_come_back_then_logged_out_and_sent_back_after_login(
    frozen, superuser, world
):
    assert superuser.get("/staff/").status_code == 200
    frozen.shift(STAFF_IDLE + dt.timedelta(seconds=1))

    response = superuser.get("/staff/accounts/customer/?status__exact=active")

    assert response.status_code == 302
    assert response.url.startswith("/staff/login/?next=")
    assert "%2Fstaff%2Faccounts%2Fcustomer%2F" in response.url
    page = superuser.get(response.url)
    with translation.override("ja"):
        ended = gettext("Your session ended. Please log in again.")
    assert page.status_code == 200 and ended in page.content.decode()
    assert superuser.get("/staff/").status_code == 302


def test_given_an_active_staff_member_when_12_hours_have_passed_then_the_session_ends(frozen, superuser, world):
    superuser.get("/staff/")
    for _ in range(int(ABSOLUTE / dt.timedelta(minutes=10))):
        frozen.shift(dt.timedelta(minutes=10))
        superuser.get("/staff/")
    frozen.shift(dt.timedelta(minutes=10))

    assert superuser.get("/staff/").status_code == 302


def test_given_staff_idle_past_the_limit_when_they_post_a_change_then_nothing_changes(frozen, sales, world):
    sales.get("/staff/")
    frozen.shift(STAFF_IDLE + dt.timedelta(seconds=1))

    response = sales.post(f"/staff/accounts/customer/{world.acme.pk}/change/", {"addition_limit": "40"})

    assert response.status_code == 302 and response.url == "/staff/login/"
    world.acme.refresh_from_db()
    assert world.acme.addition_limit == 10
