"""An application's page within its display window, once a number's IP phone password was reissued."""

from __future__ import annotations

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
