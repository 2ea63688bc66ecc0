"""Every answer of /api/v1/ is a problem+json with its code, even those ninja or Django would give in HTML."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/limits"),
        ("delete", "/api/v1/applications/261124-7KQ3M9XA"),
        ("patch", "/api/v1/numbers"),
        ("get", "/api/v1/numbers/05000000000/sip-password"),
    ],
)
def test_given_a_method_an_operation_lacks_then_405_as_a_problem_with_allow(api, method, path):
    response = getattr(api, method)(path)

    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM and response.json()["code"] == "method_not_allowed"
    assert response["Allow"]


def test_given_a_body_larger_than_the_server_takes_then_413_and_nothing_placed(api, pool, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"count": 1, "x": "' + "a" * 20_000 + '"}'

    response = api.post("/api/v1/applications", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big")

    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM and response.json()["code"] == "request_too_large"
    from selfcare.orders.models import Application

    assert not Application.objects.exists()


def test_given_a_path_the_api_lacks_then_404_as_a_problem(api):
    response = Client().get("/api/v1/nothing/here")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


def test_given_a_query_parameter_twice_then_422_naming_it(api):
    response = api.get("/api/v1/numbers?page=1&page=2&per_page=5")

    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [{"loc": ["query", "page"], "type": "repeated", "msg": "Given more than once."}]
