"""050番号追加申込: input → confirm → execute → complete, the limit, the pool, and double submits (invariant 4)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from selfcare.accounts.models import Customer
from selfcare.audit.models import AuditEntry
from selfcare.inventory.models import PhoneNumber, format_number
from selfcare.orders.errors import BadCount, CustomerSuspended, LimitReached, PoolShort
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.portal import session as portal_session
from selfcare.portal.tests.conftest import draft, html, log_in, notice_text, place
from selfcare.testing import pool_add


def ja(error) -> str:
    with translation.override("ja"):
        return str(error)


def field_errors(response) -> list[str]:
    match = re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', html(response), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def set_limit(customer: Customer, *, limit: int, added: int) -> None:
    Customer.objects.filter(pk=customer.pk).update(addition_limit=limit, numbers_added=added)


# Input and confirm ----------------------------------------------------------------------------


def test_given_a_customer_who_added_some_when_the_input_page_is_shown_then_it_says_how_many_more(
    logged_in, login_customer
):
    set_limit(login_customer, limit=20, added=13)

    page = html(logged_in.get("/numbers/add/"))

    assert "あと7番号まで追加できます" in page
    assert "累計20番号" in page and "追加済み13番号" in page


def test_given_a_count_when_confirmed_then_the_page_shows_the_count_and_the_monthly_fee(logged_in, login_customer):
    token = draft(logged_in, 12)

    response = logged_in.get(f"/numbers/add/confirm/?token={token}")

    page = html(response)
    assert response.status_code == 200
    assert '<strong class="count">12</strong>' in page
    fee = login_customer.plan.monthly_fee_per_number
    assert f"1番号あたり{fee:,}円 × 12番号 = 月額{fee * 12:,}円" in page
    assert "no-store" in response["Cache-Control"]


def test_given_the_confirm_page_when_戻る_is_followed_then_the_input_keeps_the_value(logged_in):
    token = draft(logged_in, 7)
    confirm = html(logged_in.get(f"/numbers/add/confirm/?token={token}"))

    back = re.search(r'<a class="button" href="([^"]*)">戻る</a>', confirm)
    assert back is not None and back.group(1) == "/numbers/add/?count=7"
    entry = html(logged_in.get(back.group(1)))

    assert re.search(r'<input[^>]*name="count"[^>]*value="7"', entry)


def test_given_a_prefill_in_the_url_when_it_is_markup_then_it_is_escaped(logged_in):
    page = html(logged_in.get('/numbers/add/?count="><script>x</script>'))

    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "typed",
    ["0", "51", "-1", "1.5", "abc", "", "9" * 400, " ", "1e1", "0x10", "１．５"],
    ids=["zero", "51", "negative", "decimal", "letters", "empty", "400-digits", "blank", "exp", "hex", "fw-decimal"],
)
def test_given_a_bad_count_when_sent_then_a_field_error_and_nothing_is_created(logged_in, login_customer, pool, typed):
    response = logged_in.post("/numbers/add/", {"count": typed})

    assert response.status_code == 200
    errors = field_errors(response)
    assert errors, html(response)
    assert 'aria-invalid="true"' in html(response)
    assert portal_session.DRAFTS not in logged_in.session or not logged_in.session[portal_session.DRAFTS]
    assert Application.objects.count() == 0


@pytest.mark.parametrize("typed", ["0", "51", "-1", "1.5", "abc", "", "\u3000"])  # empty too, not 必須
def test_given_an_out_of_range_or_non_integer_count_when_sent_then_the_error_names_the_range(logged_in, pool, typed):
    response = logged_in.post("/numbers/add/", {"count": typed})

    assert field_errors(response) == [ja(BadCount(minimum=1, maximum=50))]


def test_given_a_400_digit_count_when_sent_then_the_error_names_the_range(logged_in, pool):
    response = logged_in.post("/numbers/add/", {"count": "1" * 400})

    assert len(field_errors(response)) == 1 and "50" in field_errors(response)[0]


@pytest.mark.parametrize(("typed", "count"), [("１０", 10), (" 3 ", 3), ("５０", 50), ("1", 1)])
def test_given_full_width_or_padded_digits_when_sent_then_accepted_as_that_number(logged_in, pool, typed, count):
    token = draft(logged_in, typed)

    page = html(logged_in.get(f"/numbers/add/confirm/?token={token}"))

    assert f'<strong class="count">{count}</strong>' in page


# Execute and complete -------------------------------------------------------------------------


def test_given_a_confirmed_count_when_executed_then_that_many_numbers_are_issued_oldest_first(
    logged_in, login_customer, pool
):
    url = place(logged_in, 3)

    application = Application.objects.get(customer=login_customer)
    assert url == f"/applications/{application.application_number}/"
    assert application.count == 3
    numbers = list(IssuedLine.objects.filter(application=application).values_list("number_id", flat=True))
    assert sorted(numbers) == pool[:3]
    login_customer.refresh_from_db()
    assert login_customer.numbers_added == 3
    page = html(logged_in.get(url))
    assert application.application_number in page
    for number in numbers:
        assert format_number(number) in page


def test_given_one_execute_when_posted_twice_then_the_second_shows_the_same_application(
    logged_in, login_customer, pool
):
    token = draft(logged_in, 2)

    first = logged_in.post("/numbers/add/execute/", {"token": token})
    second = logged_in.post("/numbers/add/execute/", {"token": token})

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Application.objects.filter(customer=login_customer).count() == 1
    assert IssuedLine.objects.filter(customer=login_customer).count() == 2


def test_given_an_application_already_placed_under_a_token_when_its_draft_is_executed_then_no_second_one(
    logged_in, login_customer, pool, actor
):
    """The first request committed but its session never heard of it (e.g. a crash between the two)."""
    token = draft(logged_in, 2)
    earlier = numbers_add(customer_id=login_customer.pk, count=2, idempotency_key=token, actor=actor).application

    response = logged_in.post("/numbers/add/execute/", {"token": token})

    assert response.status_code == 302 and response.url == f"/applications/{earlier.application_number}/"
    assert Application.objects.filter(customer=login_customer).count() == 1
    assert IssuedLine.objects.filter(customer=login_customer).count() == 2


def test_given_a_placed_application_when_its_token_is_replayed_in_a_new_session_then_the_first_is_shown(
    client, login_customer, mailoutbox, pool, frozen
):
    log_in(client, login_customer, mailoutbox)
    token = draft(client, 4)
    first = client.post("/numbers/add/execute/", {"token": token}).url
    client.post("/logout/")
    frozen.shift(dt.timedelta(minutes=2))  # a new login code may be sent
    replayer = Client()
    log_in(replayer, login_customer, mailoutbox)

    response = replayer.post("/numbers/add/execute/", {"token": token})

    assert response.status_code == 302 and response.url == first
    assert Application.objects.filter(customer=login_customer).count() == 1


def test_given_a_placed_application_when_the_confirm_page_is_reloaded_then_it_shows_the_application(
    logged_in, login_customer, pool
):
    token = draft(logged_in, 1)
    placed = logged_in.post("/numbers/add/execute/", {"token": token}).url

    reloaded = logged_in.get(f"/numbers/add/confirm/?token={token}")

    assert reloaded.status_code == 302 and reloaded.url == placed


@pytest.mark.parametrize(
    "token", ["tampered-token", "", "x" * 64, "y" * 500], ids=["tampered", "empty", "64-chars", "500-chars"]
)
def test_given_an_unknown_token_when_executed_then_back_to_input_and_nothing_created(
    logged_in, login_customer, pool, token
):
    draft(logged_in, 2)  # a genuine draft exists, but not under this token

    response = logged_in.post("/numbers/add/execute/", {"token": token})

    assert response.status_code == 302 and response.url == "/numbers/add/"
    assert Application.objects.count() == 0
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.ASSIGNED).count() == 0
    login_customer.refresh_from_db()
    assert login_customer.numbers_added == 0


def test_given_a_tampered_token_when_sent_back_to_input_then_the_input_page_shows_the_notice(logged_in, pool):
    draft(logged_in, 2)

    response = logged_in.post("/numbers/add/execute/", {"token": "tampered-token"})
    entry = logged_in.get(response.url)

    assert response.url == "/numbers/add/"
    with translation.override("ja"):
        expected = gettext("That confirmation is no longer valid. Please enter the numbers to add again.")
    assert expected.startswith("この確認画面は無効")
    assert notice_text(entry) == expected


def test_given_another_customers_token_when_executed_then_nothing_is_created_for_anyone(
    logged_in, other_customer, mailoutbox, pool
):
    stranger = Client()
    log_in(stranger, other_customer, mailoutbox)
    token = draft(stranger, 3)

    response = logged_in.post("/numbers/add/execute/", {"token": token})

    assert response.url == "/numbers/add/"
    assert Application.objects.count() == 0


def test_given_a_draft_when_the_execute_post_carries_another_count_then_the_drafted_count_is_used(
    logged_in, login_customer, pool
):
    token = draft(logged_in, 2)

    logged_in.post("/numbers/add/execute/", {"token": token, "count": "50"})

    application = Application.objects.get(customer=login_customer)
    assert application.count == 2
    assert IssuedLine.objects.filter(application=application).count() == 2


def test_given_a_confirm_page_when_its_form_is_read_then_the_count_is_not_in_it(logged_in, pool):
    token = draft(logged_in, 9)

    page = html(logged_in.get(f"/numbers/add/confirm/?token={token}"))
    form = re.search(r'<form method="post" action="/numbers/add/execute/".*?</form>', page, re.S)

    assert form is not None
    assert re.findall(r'<input[^>]*name="([^"]+)"', form.group(0)) == ["csrfmiddlewaretoken", "token"]


# Limit, pool, suspension ----------------------------------------------------------------------


GUIDANCE = "セルフケアで追加できる番号数は"  # the limit guidance: only when nothing more may be added


def count_input(response) -> str | None:
    """The 追加番号数 field as rendered (None when the page offers no form)."""
    match = re.search(r'<input[^>]*name="count"[^>]*>', html(response))
    return match.group(0) if match else None


def test_given_some_left_when_the_input_page_is_shown_then_the_range_is_the_real_maximum(logged_in, login_customer):
    assert "(1~50)" in html(logged_in.get("/numbers/add/"))

    set_limit(login_customer, limit=20, added=13)
    page = html(logged_in.get("/numbers/add/"))

    assert "(1~7)" in page and "(1~50)" not in page
    assert "1度の作業で追加できる「050番号数」は最大50番号です。" in page  # per application, as the manual says
    assert GUIDANCE not in page


def test_given_more_than_remaining_when_sent_then_refused_at_the_field_keeping_the_value(
    logged_in, login_customer, pool
):
    set_limit(login_customer, limit=10, added=8)

    response = logged_in.post("/numbers/add/", {"count": "3"})

    assert response.status_code == 200
    assert field_errors(response) == [ja(LimitReached(limit=10, remaining=2))]
    assert 'value="3"' in count_input(response)
    assert "(1~2)" in html(response)
    assert "番号を追加できませんでした" not in html(response) and GUIDANCE not in html(response)
    assert Application.objects.count() == 0


def test_given_more_than_per_application_and_remaining_when_sent_then_the_error_names_the_real_range(
    logged_in, login_customer, pool
):
    set_limit(login_customer, limit=20, added=13)

    response = logged_in.post("/numbers/add/", {"count": "60"})

    assert field_errors(response) == ["追加番号数は1から7までの半角または全角の数字で入力してください。"]
    assert 'value="60"' in count_input(response)


def test_given_exactly_the_remaining_count_when_added_then_no_form_but_whom_to_ask(
    logged_in, login_customer, pool, settings
):
    settings.SELFCARE_SUPPORT_PHONE = "0120-987-654"
    set_limit(login_customer, limit=10, added=8)

    place(logged_in, 2)

    login_customer.refresh_from_db()
    assert login_customer.numbers_added == 10 and login_customer.remaining_additions == 0
    response = logged_in.get("/numbers/add/")
    page = html(response)
    assert count_input(response) is None and "あと0番号" not in page
    assert "累計10番号)まで追加済み(10番号)" in page
    assert GUIDANCE in page and "営業担当" in page
    assert '<a href="tel:0120-987-654">0120-987-654</a>' in page
    response = logged_in.post("/numbers/add/", {"count": "1"})
    assert count_input(response) is None and Application.objects.count() == 1


def test_given_the_limit_lowered_after_confirm_when_executed_then_refused_at_the_field_and_nothing_created(
    logged_in, login_customer, pool
):
    token = draft(logged_in, 5)
    set_limit(login_customer, limit=4, added=0)

    response = logged_in.post("/numbers/add/execute/", {"token": token})

    assert response.status_code == 200
    assert field_errors(response) == [ja(LimitReached(limit=4, remaining=4))]
    assert 'value="5"' in count_input(response)
    assert Application.objects.count() == 0


def test_given_too_few_free_numbers_when_executed_then_a_clear_message_and_no_application(
    logged_in, login_customer, db
):
    pool_add("05011110000", 2)
    token = draft(logged_in, 3)

    response = logged_in.post("/numbers/add/execute/", {"token": token})

    assert response.status_code == 200
    page = html(response)
    assert ja(PoolShort(requested=3, available=2)) in page
    assert '<a class="button primary" href="/numbers/add/?count=3">入力画面へ戻る</a>' in page
    assert GUIDANCE not in page
    assert Application.objects.count() == 0
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.FREE).count() == 2
    login_customer.refresh_from_db()
    assert login_customer.numbers_added == 0
    refusal = AuditEntry.objects.get(action="application.refused")
    assert refusal.detail["reason"] == "pool_short"


def test_given_a_suspended_customer_when_the_input_page_is_shown_or_sent_then_no_form_and_told_why(
    logged_in, login_customer, pool
):
    Customer.objects.filter(pk=login_customer.pk).update(status=Customer.Status.SUSPENDED)

    for response in [logged_in.get("/numbers/add/"), logged_in.post("/numbers/add/", {"count": "1"})]:
        assert response.status_code == 200
        assert ja(CustomerSuspended()) in html(response)
        assert count_input(response) is None
        assert "営業担当" in html(response) and GUIDANCE not in html(response)
    assert Application.objects.count() == 0


# The service beneath ---------------------------------------------------------------------------


def test_given_one_idempotency_key_when_numbers_add_runs_twice_then_one_application(customer, pool, actor):
    first = numbers_add(customer_id=customer.pk, count=3, idempotency_key="key-1", actor=actor)
    second = numbers_add(customer_id=customer.pk, count=3, idempotency_key="key-1", actor=actor)

    assert first.created is True and second.created is False
    assert second.application.pk == first.application.pk
    customer.refresh_from_db()
    assert customer.numbers_added == 3
    assert IssuedLine.objects.filter(customer=customer).count() == 3


def test_given_a_count_over_the_limit_when_numbers_add_runs_then_limit_reached_and_nothing_changes(
    customer, pool, actor
):
    set_limit(customer, limit=5, added=4)

    with pytest.raises(LimitReached):
        numbers_add(customer_id=customer.pk, count=2, idempotency_key="key-2", actor=actor)

    assert Application.objects.count() == 0
    assert PhoneNumber.objects.filter(status=PhoneNumber.Status.ASSIGNED).count() == 0


def test_given_a_short_pool_when_numbers_add_runs_then_pool_short_and_all_or_nothing(customer, actor, db):
    pool_add("05022220000", 1)

    with pytest.raises(PoolShort):
        numbers_add(customer_id=customer.pk, count=2, idempotency_key="key-3", actor=actor)

    assert Application.objects.count() == 0 and IssuedLine.objects.count() == 0
    assert PhoneNumber.objects.get().status == PhoneNumber.Status.FREE


@pytest.mark.parametrize("count", ["１０", 10])
def test_given_full_width_text_or_int_when_numbers_add_runs_then_ten_numbers(customer, pool, actor, count):
    placement = numbers_add(customer_id=customer.pk, count=count, idempotency_key=f"k-{count}", actor=actor)

    assert placement.application.count == 10


@pytest.mark.parametrize("count", [0, 51, -1, "1.5", "abc", "", True])
def test_given_a_bad_count_when_numbers_add_runs_then_bad_count_and_nothing_created(customer, pool, actor, count):
    with pytest.raises(BadCount):
        numbers_add(customer_id=customer.pk, count=count, idempotency_key="k-bad", actor=actor)

    assert Application.objects.count() == 0
