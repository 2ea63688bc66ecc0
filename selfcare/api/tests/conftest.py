from __future__ import annotations

import pytest
from django.test import Client

from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import SCOPES
from selfcare.testing import TEST_ACTOR


@pytest.fixture
def make_key(db):
    def make(customer, scopes=None, **kwargs):
        return api_key_create(
            customer_id=customer.pk, name="test", scopes=list(scopes or SCOPES), actor=TEST_ACTOR, **kwargs
        ).key

    return make


@pytest.fixture
def api(customer, make_key):
    """A client that sends the customer's key (every scope) on every request."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {make_key(customer)}")
