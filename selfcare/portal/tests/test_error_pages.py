"""Error pages are ours: a page of the portal in the customer's language, never a trace."""

import pytest
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.exceptions import BadRequest
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


@pytest.mark.django_db
def test_health_check_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
