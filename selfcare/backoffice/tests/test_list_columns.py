"""List columns say what the thing's own page and letter say: the plan by its name, the application a letter prints."""

from __future__ import annotations

import re

from selfcare.backoffice.tests.conftest import html
from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import sip_password_reissue
from selfcare.testing import TEST_ACTOR

APPLICATIONS_URL = "/staff/orders/application/"
LETTERS_URL = "/staff/letters/letter/"


def test_the_applications_list_names_the_plan_as_its_filter_does(customer_centre, world):
    page = html(customer_centre.get(APPLICATIONS_URL))

    shown = set(re.findall(r'<td class="field-plan">(.*?)</td>', page))
    assert shown == {world.plan.name}
    assert world.plan.code not in shown
    assert f">{world.plan.name}</a>" in page  # the filter's choice, the same words


def test_a_reissue_letter_is_listed_with_the_application_of_its_line(customer_centre, world):
    line = IssuedLine.objects.filter(customer=world.acme).select_related("application").first()
    letter = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    assert letter.kind == Letter.Kind.SIP_PASSWORD_REISSUE and letter.application_id is None

    page = html(customer_centre.get(LETTERS_URL))

    rows = {
        int(pk): cells
        for pk, cells in re.findall(r'<th class="field-id"><a [^>]*>(\d+)</a></th>(.*?)</tr>', page, re.S)
    }
    assert f'<td class="field-application_number">{line.application.application_number}</td>' in rows[letter.pk]
