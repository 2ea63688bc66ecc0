"""An application's page within its display window, once a number's IP phone password was reissued."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import sip_password_reissue
from selfcare.portal.tests.conftest import html, place
from selfcare.testing import TEST_ACTOR


def test_given_a_reissued_password_then_the_application_page_shows_neither_it_nor_the_old_one(logged_in, pool):
    place(logged_in, 1)
    application = Application.objects.get()
    line = IssuedLine.objects.get()
    first = line.sip_password()
    sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    line.refresh_from_db()

    page = html(logged_in.get(f"/applications/{application.application_number}/"))

    assert first not in page and line.sip_password() not in page
    assert "再発行済み" in page
    assert line.service_pin() in page  # the additional service password is unchanged, still shown in the window


def test_given_staff_reissued_the_password_then_the_page_does_not_claim_it_was_shown(logged_in, pool):
    place(logged_in, 1)
    application = Application.objects.get()
    sip_password_reissue(line_id=IssuedLine.objects.get().pk, actor=TEST_ACTOR)

    page = html(logged_in.get(f"/applications/{application.application_number}/"))

    assert "再発行済み（書面でお届けします）" in page
    assert "一度だけ表示" not in page


def test_given_the_passwords_are_shown_then_the_page_says_for_how_long_and_until_when(logged_in, pool, settings):
    settings.SELFCARE_SHOW_PASSWORDS_MINUTES = 30
    place(logged_in, 1)
    application = Application.objects.get()
    until = timezone.localtime(application.placed_at + dt.timedelta(minutes=30))

    page = html(logged_in.get(f"/applications/{application.application_number}/"))

    assert "パスワードはお申込みから30分間だけ表示されます。" in page
    assert f"{until:%H:%M}" in page
