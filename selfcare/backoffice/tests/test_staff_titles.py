"""Staff lists and pages are titled in natural Japanese (「契約者の一覧」), not Django's 「変更する 契約者 を選択」."""

from __future__ import annotations

import re

from selfcare.backoffice.tests.conftest import html

LISTS = [
    "/staff/accounts/customer/",
    "/staff/orders/application/",
    "/staff/orders/issuedline/",
    "/staff/letters/letter/",
    "/staff/inventory/phonenumber/",
]


def titles(response) -> tuple[str, str]:
    page = html(response)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()
    return title, heading


def test_the_staff_lists_are_titled_as_lists(superuser, world):
    for url in LISTS:
        response = superuser.get(url)
        assert response.status_code == 200, url
        title, heading = titles(response)
        assert heading.endswith("の一覧"), (url, heading)
        assert title.startswith(heading), (url, title)
        assert " を" not in title and "変更する" not in title, (url, title)

    assert titles(superuser.get("/staff/accounts/customer/"))[1] == "契約者の一覧"


def test_a_change_page_is_titled_without_spaces_around_the_name(superuser, world):
    _title, heading = titles(superuser.get(f"/staff/accounts/customer/{world.acme.pk}/change/"))
    assert heading == "契約者の変更"

    _title, heading = titles(superuser.get("/staff/accounts/user/add/"))
    assert " を" not in heading and heading.endswith("の追加"), heading


def test_a_view_only_list_is_titled_as_a_list_too(auditor, world):
    _title, heading = titles(auditor.get("/staff/audit/auditentry/"))
    assert heading.endswith("の一覧") and " " not in heading, heading
