"""The request id: taken from nginx only through a trusted proxy and only when sane, echoed back, in every log line."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from selfcare.ops.logs import JsonFormatter, RequestIdFilter
from selfcare.ops.request_id import current_request_id, is_sane, new_request_id, request_id_bound

NGINX_ID = "0123456789abcdef0123456789abcdef"
OURS = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines():
    """Everything logged while the test runs, as the production handler writes it, one parsed object a line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_given_no_header_then_a_fresh_id_is_echoed_and_carried_by_the_access_line(client, db, json_lines):
    response = client.get("/login/")

    request_id = response["X-Request-ID"]
    assert OURS.fullmatch(request_id)
    access = [line for line in json_lines() if line["logger"] == "selfcare.access"]
    assert access[-1]["request_id"] == request_id
    assert access[-1]["view"] == "portal:login" and access[-1]["status"] == 200
    assert client.get("/login/")["X-Request-ID"] != request_id


def test_given_nginx_as_a_trusted_proxy_then_its_id_is_kept(client, db, settings):
    settings.SELFCARE_TRUSTED_PROXIES = ["10.0.0.1"]

    response = client.get("/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_REQUEST_ID=NGINX_ID)

    assert response["X-Request-ID"] == NGINX_ID


def test_given_a_client_sending_its_own_id_directly_then_it_is_not_believed(client, db, settings):
    settings.SELFCARE_TRUSTED_PROXIES = ["10.0.0.1"]

    response = client.get("/login/", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID=NGINX_ID)

    assert response["X-Request-ID"] != NGINX_ID and OURS.fullmatch(response["X-Request-ID"])


@pytest.mark.parametrize(
    "sent",
    [
        "short",
        "x" * 65,
        "has space inside it",
        'quote"inside"it',
        "line\nbreak12345",
        "-leading-dash-id",
        "日本語のリクエストID",
    ],
)
def test_given_a_trusted_proxy_sending_garbage_then_a_fresh_id_instead(client, db, settings, sent):
    settings.SELFCARE_TRUSTED_PROXIES = ["10.0.0.1"]

    response = client.get("/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_REQUEST_ID=sent)

    assert OURS.fullmatch(response["X-Request-ID"])


def test_given_an_error_page_then_it_and_django_s_own_line_carry_the_id(client, db, json_lines):
    response = client.get("/no/such/page/")

    assert response.status_code == 404 and OURS.fullmatch(response["X-Request-ID"])
    warning = [line for line in json_lines() if line["logger"] == "django.request"][-1]
    assert warning["request_id"] == response["X-Request-ID"] and warning["status_code"] == 404
    assert "request" not in warning  # the request object itself is never written


def test_given_a_bound_id_then_every_record_and_nested_binding_see_the_right_one(json_lines):
    logger = logging.getLogger("selfcare.tests")
    assert current_request_id() is None
    with request_id_bound("job-carried-id-1") as outer:
        logger.info("outer")
        with request_id_bound(None) as inner:
            logger.info("inner")
        logger.info("outer again")
    logger.info("outside")

    lines = [(line["message"], line["request_id"]) for line in json_lines() if line["logger"] == "selfcare.tests"]
    assert outer == "job-carried-id-1" and OURS.fullmatch(inner)
    assert lines == [("outer", outer), ("inner", inner), ("outer again", outer), ("outside", "-")]


def test_sane_ids():
    assert is_sane(new_request_id())
    assert is_sane("3f2a1c0d-9e8b-4c1a-a0b1-0123456789ab")  # a UUID
    assert not is_sane(None) and not is_sane("") and not is_sane("a" * 100)
