"""No input gives a 500: random text, huge text and any Unicode, into every form and query the customer can reach."""

from __future__ import annotations

from urllib.parse import quote

from django.core.cache import cache
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from selfcare.accounts.models import User
from selfcare.orders.models import Application
from selfcare.portal.tests.conftest import PASSWORD, password_step

FUZZ = hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.large_base_example],
    database=None,  # nothing written outside the test run
)

# Any Unicode text (no surrogates: they cannot be sent as UTF-8), sometimes blown up to tens of thousands of characters.
anything = st.one_of(
    st.text(),
    st.text(min_size=1, max_size=8).map(lambda s: s * 5_000),
    st.sampled_from(["１０", "\x00", "0" * 400, "5\x000", "‮12", "NaN", "1e400", "\ufeff7", "𝟕", "²"]),
)


@FUZZ
@given(count=anything)
@example(count="\x00")
def test_given_any_text_when_posted_as_the_count_then_no_server_error(logged_in, pool, count):
    response = logged_in.post("/numbers/add/", {"count": count})

    assert response.status_code < 500
    assert response.status_code in (200, 302)


@FUZZ
@given(selfcare_id=anything, password=anything)
@example(selfcare_id="\x00", password="\x00")
def test_given_any_text_when_posted_to_login_then_no_server_error(client, login_customer, selfcare_id, password):
    cache.clear()  # keep the per-IP throttle from masking the deeper paths

    response = password_step(client, selfcare_id, password)

    assert response.status_code < 500


@FUZZ
@given(code=anything)
@example(code="\x00")
@example(code="１２３４５６")
def test_given_any_text_when_posted_as_the_code_then_no_server_error(client, login_customer, mailoutbox, code):
    cache.clear()
    User.objects.filter(pk=login_customer.user.pk).update(consecutive_failures=0, locked_until=None)
    if client.get("/login/verify/").status_code != 200:
        password_step(client, login_customer.selfcare_id, PASSWORD)

    response = client.post("/login/verify/", {"code": code})

    assert response.status_code < 500


@FUZZ
@given(token=anything)
@example(token="\x00")
def test_given_any_token_when_executed_then_no_server_error_and_nothing_created(logged_in, pool, token):
    response = logged_in.post("/numbers/add/execute/", {"token": token})

    assert response.status_code in (302, 200)
    assert Application.objects.count() == 0


@FUZZ
@given(token=anything)
@example(token="\x00")
def test_given_any_token_in_the_confirm_url_when_opened_then_no_server_error(logged_in, token):
    response = logged_in.get("/numbers/add/confirm/", {"token": token})

    assert response.status_code < 500


@FUZZ
@given(number=st.text(min_size=1))
@example(number="\x00")
def test_given_any_application_number_in_the_url_when_opened_then_no_server_error(logged_in, number):
    response = logged_in.get("/applications/" + quote(number, safe="") + "/")

    assert response.status_code < 500


@FUZZ
@given(prefill=anything, page=anything)
@example(prefill="\x00", page="\x00")
def test_given_any_query_text_when_opening_pages_then_no_server_error(logged_in, prefill, page):
    assert logged_in.get("/numbers/add/", {"count": prefill}).status_code < 500
    assert logged_in.get("/numbers/", {"page": page}).status_code < 500
    assert logged_in.get("/applications/", {"page": page}).status_code < 500
