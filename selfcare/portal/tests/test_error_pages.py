"""Error pages are ours: a page of the portal in the customer's language, never a trace."""

import pytest
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.exceptions import BadRequest
from django.db import OperationalError
from django.test import RequestFactory, override_settings

from selfcare.portal import error_views


@pytest.mark.django_db
def test_not_found_is_a_portal_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "ページが見つかりません" in body and '<footer class="site">' in body


def test_session_interrupted_says_what_may_have_happened():
    request = RequestFactory().post("/numbers/add/execute/")
    response = error_views.bad_request(request, SessionInterrupted("gone"))
    assert response.status_code == 400
    assert "申込履歴" in response.content.decode()


def test_other_bad_requests_get_the_plain_page():
    request = RequestFactory().get("/")
    response = error_views.bad_request(request, BadRequest("bad"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "リクエストを処理できませんでした" in body and "申込履歴" not in body


@override_settings(DEBUG=False)
def test_server_error_page_is_ours_and_standalone(client):
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "ただいまご利用いただけません" in body and "Temporarily unavailable" in body


@override_settings(DEBUG=False)
def test_a_database_out_of_reach_is_503_with_retry_after_on_the_same_page():
    request = RequestFactory().post("/numbers/add/execute/")
    try:
        raise OperationalError("connection failed: session is read-only")
    except OperationalError:
        response = error_views.server_error(request)

    assert response.status_code == 503 and response["Retry-After"] == "10"
    body = response.content.decode()
    assert "ただいまご利用いただけません" in body and "申込履歴" in body


@override_settings(DEBUG=False)
def test_any_other_crash_is_500_on_that_page():
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = error_views.server_error(RequestFactory().get("/"))

    assert response.status_code == 500 and "Retry-After" not in response
    assert "ただいまご利用いただけません" in response.content.decode()


def test_the_urls_send_every_crash_to_it():
    from django.urls import get_resolver

    assert get_resolver().resolve_error_handler(500) is error_views.server_error


@pytest.mark.django_db
def test_health_check_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
