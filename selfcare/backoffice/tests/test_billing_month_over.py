"""The billing export takes only a month that is over (rules.md, *monthly fee*): a month still running would count
every held number to its end. The staff dashboard links to the export for the roles that may export billing."""

from __future__ import annotations

import pytest
import time_machine

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.tests.conftest import html
from selfcare.core import clock
from selfcare.testing import tokyo_time

BILLING_URL = "/staff/orders/application/billing/"


@pytest.mark.parametrize("ahead", [0, 1], ids=["this month", "next month"])
def test_a_month_not_yet_over_is_refused_with_why(sales, world, ahead):
    month = f"{clock.add_months(clock.today().replace(day=1), ahead):%Y-%m}"
    response = sales.post(BILLING_URL, {"month": month, "layout": "system"})
    assert response.status_code == 200 and response.get("Content-Disposition") is None
    page = html(response)
    assert f"{month}はまだ終わっていません" in page
    assert not AuditEntry.objects.filter(action="billing.exported").exists()


def test_the_month_just_over_is_exported(make_staff, world):
    month = f"{clock.today():%Y-%m}"
    with time_machine.travel(tokyo_time(clock.add_months(clock.today().replace(day=1), 1), 0, 30), tick=False):
        response = make_staff("sales").post(BILLING_URL, {"month": month, "layout": "system"})
    assert response.status_code == 200 and "billing-" in response["Content-Disposition"]


def test_the_dashboard_links_to_the_billing_export_only_for_roles_that_may_export(sales, customer_centre, world):
    assert f'href="{BILLING_URL}"' in html(sales.get("/staff/"))
    assert f'href="{BILLING_URL}"' not in html(customer_centre.get("/staff/"))
