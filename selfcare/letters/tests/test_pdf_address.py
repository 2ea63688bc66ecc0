"""The address in the envelope's window breaks between its parts, never inside 2F or 1-2-3, and stays in the window."""

from __future__ import annotations

import itertools
import subprocess

import pytest
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from selfcare.letters import pdf as letter_pdf
from selfcare.letters.services import letters_render
from selfcare.testing import CustomerFactory

from .conftest import ARTIFACTS, place

SHORT = "東京都渋谷区神宮前1-2-3 ウォークビル2F"
NO_SPACES = "北海道札幌市中央区北一条西二丁目12345-6789番地サンプルマンション1203号室"
WINDOW = (23.0, 13.0, 90.0, 45.0)  # 長形3号's window: x, y, width, height in mm from the top-left corner


def _window_text(pdf: bytes) -> list[str]:
    """The lines pdftotext reads inside the envelope's window (at 72 dpi a pixel is a point)."""
    x, y, width, height = (value * mm for value in WINDOW)
    crop = ["-x", str(int(x)), "-y", str(int(y)), "-W", str(int(width)), "-H", str(int(height))]
    result = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", *crop, "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return [line.strip() for line in result.stdout.decode().splitlines() if line.strip()]


class _Recorder(Canvas):
    """A canvas that remembers each left-aligned string: (text, left, right, baseline, size) in mm from the top-left."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.strings: list[tuple[str, float, float, float, float]] = []

    def drawString(self, x, y, text, *args, **kwargs):
        width = pdfmetrics.stringWidth(text, self._fontname, self._fontsize)
        top = letter_pdf.PAGE_HEIGHT - y
        self.strings.append((text, x / mm, (x + width) / mm, top / mm, self._fontsize))
        return super().drawString(x, y, text, *args, **kwargs)


def _render(plan, monkeypatch, address: str, name: str) -> tuple[bytes, _Recorder]:
    letter = place(CustomerFactory(plan=plan, postal_code="1500001", address=address), 1)
    canvases: list[_Recorder] = []

    def recording(*args, **kwargs):
        canvas = _Recorder(*args, **kwargs)
        canvases.append(canvas)
        return canvas

    monkeypatch.setattr(letter_pdf, "Canvas", recording)
    pdf = letters_render(letter_ids=[letter.pk])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-singlefile", "-", str(ARTIFACTS / name)],
        input=pdf,
        check=True,
        capture_output=True,
    )
    (canvas,) = canvases
    return pdf, canvas


@pytest.mark.parametrize(
    ("address", "lines", "artifact"),
    [
        (SHORT, ["東京都渋谷区神宮前1-2-3", "ウォークビル2F"], "letter-address-short"),
        (
            NO_SPACES,
            ["北海道札幌市中央区北一条西二丁目", "12345-6789番地サンプルマンション", "1203号室"],
            "letter-address-no-spaces",
        ),
    ],
)
def test_given_an_address_when_printed_then_it_breaks_between_parts_and_stays_in_the_window(
    plan, pool, monkeypatch, address, lines, artifact
):
    pdf, canvas = _render(plan, monkeypatch, address, artifact)

    window = _window_text(pdf)
    assert window[1 : 1 + len(lines)] == lines, window  # under the 〒 line, before the name
    left, top, width, height = WINDOW
    drawn = [entry for entry in canvas.strings if entry[0] in lines]
    assert [text for text, *_ in drawn] == lines
    for _text, x1, x2, baseline, size in drawn:
        assert left < x1 and x2 < left + width
        assert top < baseline - size / mm and baseline < top + height


@pytest.mark.parametrize("size", [11.0, 9.0, 7.0])
def test_given_an_address_when_wrapped_then_no_run_of_latin_letters_digits_or_hyphens_is_split(size):
    font = letter_pdf.letter_font()
    width = letter_pdf.ADDRESS_BOX[2] * mm

    for address in (SHORT, NO_SPACES, "東京都港区六本木6-10-1 六本木ヒルズ森タワー45F 株式会社サンプル"):
        lines = letter_pdf.wrap_address(address, font, size, width)

        assert "".join(lines).replace(" ", "") == address.replace(" ", "")
        assert all(pdfmetrics.stringWidth(line, font, size) <= width for line in lines)
        for upper, lower in itertools.pairwise(lines):
            assert not (upper[-1].isascii() and upper[-1].isalnum() and lower[0].isascii() and lower[0].isalnum())


def test_given_a_run_longer_than_the_line_when_wrapped_then_it_alone_is_cut_at_the_line_width():
    font = letter_pdf.letter_font()
    width = letter_pdf.ADDRESS_BOX[2] * mm

    lines = letter_pdf.wrap_address("東京都港区 " + "A" * 60 + " ビル", font, 11.0, width)

    assert lines[0] == "東京都港区"
    assert "".join(lines[1:]) == "A" * 60 + " ビル"
    assert len(lines) > 3
    assert all(pdfmetrics.stringWidth(line, font, 11.0) <= width for line in lines)
