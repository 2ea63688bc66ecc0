"""A cancelled number reads the same on every page (numbers list, application and completion page), and its
passwords are never shown again."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from selfcare.core import clock
from selfcare.orders.models import IssuedLine
from selfcare.portal.tests.conftest import html, place
from selfcare.testing import cancel


def rows(page: str, table_class: str) -> list[str]:
    table = re.search(rf'<table class="{table_class}[^"]*">(.*?)</table>', page, re.S)
    assert table, page
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.findall(r"<tr.*?</tr>", table[1], re.S)
    ]


@pytest.fixture
def two_placed(logged_in, login_customer, pool):
    url = place(logged_in, 2)
    lines = list(IssuedLine.objects.filter(customer=login_customer).order_by("number_id"))
    return url, lines


def test_a_number_cancelled_since_shows_marked_and_without_its_passwords_on_the_completion_page(
    logged_in, two_placed, actor
):
    url, (kept, gone) = two_placed
    today = clock.today()
    cancel([gone.number_id], effective_on=today, actor=actor)

    page = html(logged_in.get(url))

    header, kept_row, gone_row = rows(page, "lines")
    assert header.split() == ["IP電話番号(050番号)", "状態", "付加サービスパスワード", "IP加入電話パスワード"]
    assert kept_row == f"{kept.number} 利用中 {kept.service_pin()} {kept.sip_password()}"
    assert gone_row == f"{gone.number} 解約済み ({today:%Y-%m-%d}) 表示なし(解約済み) 表示なし(解約済み)"
    assert gone.sip_password() not in page


def test_a_cancellation_received_but_not_yet_in_effect_keeps_the_passwords_and_says_until_when(
    logged_in, two_placed, actor
):
    url, (_kept, leaving) = two_placed
    day = clock.today() + dt.timedelta(days=10)
    cancel([leaving.number_id], effective_on=day, actor=actor)

    page = html(logged_in.get(url))

    leaving_row = rows(page, "lines")[2]
    assert leaving_row == (
        f"{leaving.number} {day - dt.timedelta(days=1):%Y-%m-%d}まで利用中({day:%Y-%m-%d}解約) "
        f"{leaving.service_pin()} {leaving.sip_password()}"
    )


def test_the_numbers_list_shows_the_same_state(logged_in, two_placed, actor):
    _url, (kept, gone) = two_placed
    today = clock.today()
    cancel([gone.number_id], effective_on=today, actor=actor)

    page = html(logged_in.get("/numbers/"))

    states = {row.split()[0]: row.split()[1:3] for row in rows(page, "list")[1:]}
    assert states[str(kept.number)][0] == "利用中"
    assert states[str(gone.number)] == ["解約済み", f"({today:%Y-%m-%d})"]
    assert f"{today:%Y-%m-%d}解約" not in page


def test_without_any_cancellation_the_completion_page_has_no_state_column(logged_in, two_placed):
    url, _lines = two_placed

    header = rows(html(logged_in.get(url)), "lines")[0]

    assert header.split() == ["IP電話番号(050番号)", "付加サービスパスワード", "IP加入電話パスワード"]
