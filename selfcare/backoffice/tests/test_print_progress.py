"""Printing the unprinted letters from the staff site, with progress streamed while the PDF renders."""

from __future__ import annotations

import base64

import pytest

from selfcare.audit.models import AuditEntry
from selfcare.letters.models import Letter
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, CustomerFactory


@pytest.fixture
def three_letters(transactional_db, plan):
    from selfcare.testing import pool_add

    pool_add("05000000000", 10)
    for key in ("a", "b", "c"):
        customer = CustomerFactory(plan=plan)
        numbers_add(customer_id=customer.pk, count=2, idempotency_key=key, actor=TEST_ACTOR)
    return list(Letter.objects.order_by("pk"))


def _lines(response) -> list[str]:
    return b"".join(response.streaming_content).decode().splitlines()


@pytest.mark.django_db(transaction=True)
def test_given_unprinted_letters_when_printed_from_the_page_then_progress_then_the_pdf(make_staff, three_letters):
    client = make_staff("customer centre")
    page = client.get("/staff/letters/letter/print/")
    assert page.status_code == 200 and 'max="3"' in page.content.decode()

    lines = _lines(client.post("/staff/letters/letter/print/stream/"))

    assert lines[0] == "progress 0 3"
    assert [line for line in lines if line.startswith("progress")][-1] == "progress 3 3"
    assert lines[-1].startswith("pdf ")
    assert base64.b64decode(lines[-1][4:]).startswith(b"%PDF")
    # Made, not printed: the letters wait for the operator's confirmation.
    assert all(letter.print_count == 0 and letter.printed_at is None for letter in Letter.objects.all())
    assert AuditEntry.objects.filter(action="letter.pdf_made").count() == 3
    assert not AuditEntry.objects.filter(action="letter.printed").exists()
    ids = [line for line in lines if line.startswith("ids ")]
    assert ids == ["ids " + ",".join(str(letter.pk) for letter in three_letters)]


@pytest.mark.django_db(transaction=True)
def test_given_a_role_without_printing_when_streaming_then_refused(make_staff, three_letters):
    client = make_staff("sales")

    assert client.post("/staff/letters/letter/print/stream/").status_code == 403
    assert client.get("/staff/letters/letter/print/").status_code == 403
    assert not Letter.objects.filter(print_count__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_a_get_to_the_stream_prints_nothing(make_staff, three_letters):
    client = make_staff("customer centre")

    assert client.get("/staff/letters/letter/print/stream/").status_code == 403
    assert not Letter.objects.filter(print_count__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_given_a_pdf_made_from_the_page_then_it_says_nothing_is_printed_until_confirmed(make_staff, three_letters):
    from selfcare.backoffice.tests.conftest import ja

    client = make_staff("customer centre")

    lines = _lines(client.post("/staff/letters/letter/print/stream/"))

    done = [line for line in lines if line.startswith("done ")]
    assert done == [
        "done "
        + ja(
            "The PDF of %(n)s letters is ready. Print it, check the pages, then confirm below: until then nothing "
            "is recorded as printed, and the PDF can be made again.",
            n=3,
        )
    ]
    assert lines.index(done[0]) < len(lines) - 1 and lines[-1].startswith("pdf ")


@pytest.mark.django_db(transaction=True)
def test_given_a_pdf_made_twice_then_confirmed_then_the_letters_are_printed_once_and_leave_the_print_page(
    make_staff, three_letters
):
    client = make_staff("customer centre")
    _lines(client.post("/staff/letters/letter/print/stream/"))  # the printer jammed: not confirmed
    lines = _lines(client.post("/staff/letters/letter/print/stream/"))  # made again, no reason asked
    ids = next(line for line in lines if line.startswith("ids "))[4:].split(",")

    response = client.post("/staff/letters/letter/print/confirm/", {"letter": ids})

    assert response.status_code == 302 and response.url == "/staff/letters/letter/print/"
    assert all(letter.print_count == 1 for letter in Letter.objects.all())
    assert AuditEntry.objects.filter(action="letter.pdf_made").count() == 6
    assert AuditEntry.objects.filter(action="letter.printed").count() == 3
    assert not AuditEntry.objects.filter(action="letter.reprinted").exists()
    page = client.get("/staff/letters/letter/print/").content.decode()
    assert 'id="print-form"' not in page
    # The next step is offered: posting them, from the list of letters printed and not yet posted.
    assert '<a href="/staff/letters/letter/?posted=printed">印刷済み・未発送の郵送物へ</a>' in page


@pytest.mark.django_db(transaction=True)
def test_given_two_staff_confirm_the_same_letters_then_the_second_is_told_two_copies_exist(make_staff, three_letters):
    first, second = make_staff("customer centre"), make_staff("customer centre")
    ids = [str(letter.pk) for letter in three_letters]
    _lines(first.post("/staff/letters/letter/print/stream/"))
    _lines(second.post("/staff/letters/letter/print/stream/"))
    first.post("/staff/letters/letter/print/confirm/", {"letter": ids})

    response = second.post("/staff/letters/letter/print/confirm/", {"letter": ids}, follow=True)

    page = response.content.decode()
    assert "2部あります" in page
    assert all(letter.print_count == 2 for letter in Letter.objects.all())
    assert AuditEntry.objects.filter(action="letter.reprinted").count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_role_without_printing_cannot_confirm(make_staff, three_letters):
    client = make_staff("sales")

    response = client.post("/staff/letters/letter/print/confirm/", {"letter": [three_letters[0].pk]})

    assert response.status_code == 403 and not Letter.objects.filter(print_count__gt=0).exists()
