"""The fee on the confirm page says it includes consumption tax (rules.md, *monthly fee*)."""

from __future__ import annotations

from selfcare.portal.tests.conftest import draft, html


def test_given_the_confirm_page_then_the_added_monthly_fee_says_tax_included(logged_in, pool):
    token = draft(logged_in, 2)

    page = html(logged_in.get(f"/numbers/add/confirm/?token={token}"))

    assert "1番号あたり330円 × 2番号 = 月額660円(税込)" in page
