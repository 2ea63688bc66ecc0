"""The letter list's search by application number finds every letter of that application, reissues included."""

from __future__ import annotations

import re

from selfcare.backoffice.tests.conftest import html
from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import sip_password_reissue
from selfcare.testing import TEST_ACTOR

LETTERS_URL = "/staff/letters/letter/"


def listed(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'<th class="field-id"><a [^>]*>(\d+)</a></th>', html(response))}


def test_an_application_number_finds_its_letter_and_the_reissue_letters_of_its_lines(customer_centre, world):
    line = IssuedLine.objects.filter(application=world.acme_application).order_by("number_id").first()
    reissue = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    other_line = IssuedLine.objects.filter(application=world.beta_application).first()
    other_reissue = sip_password_reissue(line_id=other_line.pk, actor=TEST_ACTOR)
    assert reissue.kind == Letter.Kind.SIP_PASSWORD_REISSUE and reissue.application_id is None
    number = world.acme_application.application_number

    for typed in (number, number[:-2], number.lower()):  # the whole number, its start, in any case
        response = customer_centre.get(LETTERS_URL, {"q": typed})

        assert response.status_code == 200
        assert listed(response) == {world.acme_letter.pk, reissue.pk}, typed
        assert other_reissue.pk not in listed(response)
