"""Who on the staff site sees customers' API keys and webhook endpoints: the customer centre, which helps them."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url", ["/staff/integrations/apikey/", "/staff/integrations/webhookendpoint/"])
def test_given_the_customer_centre_then_api_keys_and_webhooks_are_listed(customer_centre, url):
    assert customer_centre.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/staff/integrations/apikey/", "/staff/integrations/webhookendpoint/"])
def test_given_sales_then_api_keys_and_webhooks_are_refused(sales, url):
    assert sales.get(url).status_code == 403
