"""The staff application page names the plan as every other screen does: by its name, not its code."""

from __future__ import annotations

import re

from selfcare.accounts.models import Plan
from selfcare.backoffice.tests.conftest import html, ja
from selfcare.orders.models import Application


def plan_row(page: str) -> str:
    row = re.search(r'<div class="form-row field-plan[^"]*">(.*?)</div>\s*</div>\s*</div>', page, re.S)
    assert row, "the page has a 申込時のプラン row"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip()


def test_the_application_page_shows_the_plan_by_its_name(customer_centre, world):
    application = world.acme_application
    assert application.plan_code == world.plan.code != world.plan.name

    page = html(customer_centre.get(f"/staff/orders/application/{application.pk}/change/"))

    assert plan_row(page) == f"{ja('plan at the time')}: {world.plan.name}"
    assert "field-plan_code" not in page  # the stored code is not a second row


def test_a_plan_no_longer_there_is_shown_by_its_code(customer_centre, world):
    Application.objects.filter(pk=world.beta_application.pk).update(plan_code="retired-2019")
    assert not Plan.objects.filter(code="retired-2019").exists()

    page = html(customer_centre.get(f"/staff/orders/application/{world.beta_application.pk}/change/"))

    assert plan_row(page) == f"{ja('plan at the time')}: retired-2019"
