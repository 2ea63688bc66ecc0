"""Letters are addressed before they print, their postal code is printed in one form, and notes keep off the rules."""

from __future__ import annotations

import pytest
from django.utils import timezone
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from selfcare.letters import pdf as letter_pdf
from selfcare.letters.errors import LetterWithoutAddress
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_print, letters_render
from selfcare.orders.services import numbers_cancel
from selfcare.testing import TEST_ACTOR, CustomerFactory

from .conftest import pdf_text, place, secrets_of


@pytest.mark.parametrize(("postal_code", "address"), [("", "東京都千代田区千代田1-1"), ("100-0001", ""), ("", "")])
def test_given_a_letter_and_customer_without_an_address_when_printed_then_refused_and_nothing_recorded(
    plan, pool, postal_code, address
):
    customer = CustomerFactory(plan=plan, postal_code=postal_code, address=address)
    letter = place(customer, 2)

    with pytest.raises(LetterWithoutAddress) as refused:
        letters_print(letter_ids=[letter.pk], actor=TEST_ACTOR)

    assert refused.value.params == {"letter_id": letter.pk, "name": customer.contract_name}
    assert Letter.objects.get(pk=letter.pk).print_count == 0


def test_given_a_letter_queued_without_an_address_when_the_customer_has_one_now_then_printed_to_it(plan, pool):
    customer = CustomerFactory(plan=plan, postal_code="", address="")
    letter = place(customer, 1)
    customer.postal_code, customer.address = "530-0001", "大阪府大阪市北区梅田1-1-1"
    customer.save()

    (text,) = pdf_text(letters_render(letter_ids=[letter.pk]))

    assert "〒530-0001" in text and "大阪府大阪市北区梅田1-1-1" in text


@pytest.mark.parametrize("stored", ["１００－０００１", "1000001", "100ー0001", "〒1000001"])
def test_given_a_postal_code_stored_in_another_form_when_printed_then_123_4567(plan, pool, stored):
    letter = place(CustomerFactory(plan=plan, postal_code=stored), 1)

    (text,) = pdf_text(letters_render(letter_ids=[letter.pk]))

    assert "〒100-0001" in text


class _Recorder(Canvas):
    """A canvas that remembers its vertical lines and the notes centred in the table."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verticals: list[tuple[float, float, float]] = []
        self.notes: list[tuple[float, float, float, float]] = []

    def line(self, x1, y1, x2, y2):
        if abs(x1 - x2) < 0.01:
            self.verticals.append((x1, min(y1, y2), max(y1, y2)))
        return super().line(x1, y1, x2, y2)

    def drawCentredString(self, x, y, text, *args, **kwargs):
        if text == letter_pdf.CANCELLED_TEXT:
            width = pdfmetrics.stringWidth(text, self._fontname, self._fontsize)
            self.notes.append((x - width / 2, x + width / 2, y, y + self._fontsize * 0.7))
        return super().drawCentredString(x, y, text, *args, **kwargs)


@pytest.mark.parametrize("count", [8, 30, 50])  # one, two and three side-by-side tables
def test_given_cancelled_numbers_when_drawn_then_no_column_rule_crosses_their_note(customer, pool, monkeypatch, count):
    letter = place(customer, count)
    numbers = [number for number, _pin, _sip in secrets_of(letter)][:5]
    numbers_cancel(numbers=numbers, received_on=timezone.localdate(), actor=TEST_ACTOR)
    canvases: list[_Recorder] = []

    def recording(*args, **kwargs):
        canvas = _Recorder(*args, **kwargs)
        canvases.append(canvas)
        return canvas

    monkeypatch.setattr(letter_pdf, "Canvas", recording)
    letters_render(letter_ids=[letter.pk])

    (canvas,) = canvases
    assert len(canvas.notes) == 5
    for left, right, bottom, top in canvas.notes:
        crossing = [x for x, low, high in canvas.verticals if left - 1 < x < right + 1 and low < top and high > bottom]
        assert not crossing, (left, right, crossing)
