"""Each kind of letter prints as it did: one page whose text matches its golden copy word for word.

The pages are drawn from fixed data (the day, the passwords, the application number), so
what pdftotext extracts is the same on every run; only the letter's id (``L<id>`` at the foot)
is replaced. After a deliberate change of wording or layout, write the golden copies again
with ``SELFCARE_WRITE_GOLDEN=1`` and read the diff.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from selfcare.accounts.services import customer_create
from selfcare.core import crypto
from selfcare.letters import pdf as letter_pdf
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_render
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import numbers_add, numbers_cancel, sip_password_reissue
from selfcare.testing import TEST_ACTOR, CustomerFactory, UserFactory, pool_add

from .conftest import pdf_text

GOLDEN = Path(__file__).parent / "golden"
MOMENT = dt.datetime(2025, 4, 1, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 4, 1)


@pytest.fixture
def fixed_day(time_machine):
    time_machine.move_to(MOMENT, tick=False)


@pytest.fixture
def golden_customer(db, plan, fixed_day):
    pool_add("05000000000", 60)
    return CustomerFactory(
        plan=plan,
        user=UserFactory(username="golden0001", email="golden@example.com"),
        contract_name="ゴールデン商事株式会社",
    )


def _application(customer, count: int, number: str) -> Application:
    placement = numbers_add(customer_id=customer.pk, count=count, idempotency_key=number, actor=TEST_ACTOR)
    application = placement.application
    Application.objects.filter(pk=application.pk).update(application_number=number)
    for index, line in enumerate(application.lines.order_by("number_id")):
        IssuedLine.objects.filter(pk=line.pk).update(
            service_pin_encrypted=crypto.encrypt(f"{index:04d}"),
            sip_password_encrypted=crypto.encrypt(f"Pw{index:02d}abcdefgh"),
        )
    return application


def service_start_three(customer) -> Letter:
    """Three numbers: one with its passwords, one whose passwords are destroyed, one cancelled."""
    application = _application(customer, 3, "250401-GOLDEN03")
    _first, second, third = application.lines.order_by("number_id")
    IssuedLine.objects.filter(pk=second.pk).update(secrets_destroyed_at=MOMENT)
    numbers_cancel(customer_id=customer.pk, numbers=[third.number_id], received_on=TODAY, actor=TEST_ACTOR)
    return application.letter


def service_start_fifty(customer) -> Letter:
    return _application(customer, 50, "250401-GOLDEN50").letter


def sip_password_reissue_letter(customer) -> Letter:
    line = _application(customer, 1, "250401-GOLDEN01").lines.get()
    letter = sip_password_reissue(line_id=line.pk, actor=TEST_ACTOR)
    IssuedLine.objects.filter(pk=line.pk).update(sip_password_encrypted=crypto.encrypt("NewPw2345abcd"))
    return letter


def selfcare_credentials(customer) -> Letter:
    created = customer_create(
        selfcare_id="golden0002",
        email="golden2@example.com",
        contract_name="ゴールデン物産株式会社",
        plan_code=customer.plan.code,
        postal_code="1000001",
        address="東京都千代田区千代田1-1",
        actor=TEST_ACTOR,
    )
    letter = Letter.objects.get(customer=created.customer, kind=Letter.Kind.SELFCARE_CREDENTIALS)
    Letter.objects.filter(pk=letter.pk).update(secret_encrypted=crypto.encrypt("InitialPass23456"))
    return letter


def selfcare_credentials_destroyed(customer) -> Letter:
    letter = selfcare_credentials(customer)
    Letter.objects.filter(pk=letter.pk).update(secret_encrypted="")
    return letter


CASES = {
    "service_start_three": service_start_three,
    "service_start_fifty": service_start_fifty,
    "sip_password_reissue": sip_password_reissue_letter,
    "selfcare_credentials": selfcare_credentials,
    "selfcare_credentials_destroyed": selfcare_credentials_destroyed,
}


@pytest.mark.parametrize("case", CASES)
def test_given_each_kind_of_letter_then_its_one_page_reads_as_its_golden_copy(golden_customer, case):
    letter = CASES[case](golden_customer)

    pdf = letters_render(letter_ids=[letter.pk])

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    (text,) = pdf_text(pdf)
    text = re.sub(rf"\bL{letter.pk}\b", "L<id>", text)
    golden = GOLDEN / f"{case}.txt"
    if os.environ.get("SELFCARE_WRITE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert _words(text) == _words(golden.read_text())


def _words(text: str) -> list[str]:
    """The page's lines with runs of spaces as one: pdftotext lays text out by position, and a longer letter id
    (databases whose ids never restart, such as PostgreSQL's between tests) shifts the spacing of its line."""
    return [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]


def test_every_kind_of_letter_has_its_page():
    assert set(letter_pdf.PAGES) == set(Letter.Kind)
    for case in CASES:
        assert any(case.startswith(kind) for kind in Letter.Kind), case


def test_a_page_class_without_its_body_cannot_be_made():
    class Unfinished(letter_pdf._LinesPage):
        title = "x"
        table_heading = "x"

    with pytest.raises(TypeError, match="abstract"):
        Unfinished(None, "font", None, TODAY)


@pytest.mark.parametrize("case", CASES)
def test_given_each_kind_of_letter_then_what_opens_with_haikei_closes_with_keigu_before_the_particulars(
    golden_customer, case
):
    """A Japanese business letter: 拝啓 … 敬具 around the greeting, then 記 … 以上 around the particulars."""
    letter = CASES[case](golden_customer)

    (page,) = PdfReader(io.BytesIO(letters_render(letter_ids=[letter.pk]))).pages
    text = page.extract_text()

    words = [word for word in ("拝啓", "敬具", "記", "以上") if word in text]
    assert words == ["拝啓", "敬具", "記", "以上"], text
    assert text.index("拝啓") < text.index("敬具") < text.index("\n記") < text.rindex("以上")
    assert text.count("敬具") == 1
