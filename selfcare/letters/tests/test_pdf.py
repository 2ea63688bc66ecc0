"""The letter as a PDF: one A4 page per letter, Japanese in an embedded font, the numbers and both passwords."""

from __future__ import annotations

import io
import subprocess

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from selfcare.audit.models import AuditEntry
from selfcare.inventory.models import format_number
from selfcare.letters import pdf as letter_pdf
from selfcare.letters.errors import LettersNotFound, NoLettersSelected, SecretsUnreadable
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_render
from selfcare.orders.models import IssuedLine
from selfcare.testing import CustomerFactory

from .conftest import ARTIFACTS, pdf_text, place, secrets_of

A4_POINTS = (595.28, 841.89)


def _fonts(reader: PdfReader) -> list[dict]:
    fonts = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object() if isinstance(ref, IndirectObject) else ref
            fonts.append(font)
    return fonts


def _descriptors(font) -> list:
    if "/FontDescriptor" in font:
        return [font["/FontDescriptor"].get_object()]
    return [d.get_object()["/FontDescriptor"].get_object() for d in font.get("/DescendantFonts", [])]


# --- pages -------------------------------------------------------------------------------------


def test_given_three_letters_when_rendered_then_one_a4_page_each(pool, plan):
    letters = [place(CustomerFactory(plan=plan), count) for count in (1, 3, 50)]

    pdf = letters_render(letter_ids=[letter.pk for letter in letters])

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS


def test_given_a_letter_when_rendered_then_the_page_holds_the_numbers_passwords_and_application_number(letter):
    (text,) = pdf_text(letters_render(letter_ids=[letter.pk]))

    assert "IP電話サービス開始のご案内" in text
    assert "申込番号" in text
    assert letter.application.application_number in text
    for header in ("IP電話番号(050番号)", "付加サービスパスワード", "IP加入電話パスワード"):
        assert header in text
    for number, pin, sip in secrets_of(letter):
        row = next(line for line in text.splitlines() if format_number(number) in line)
        assert row.split() == [format_number(number), pin, sip]


def test_given_a_letter_when_rendered_then_address_sender_setup_and_contact_are_on_it(letter, settings):
    settings.SELFCARE_CARRIER_NAME = "サンプル通信株式会社"
    settings.SELFCARE_SUPPORT_PHONE = "0120-123-456"

    (text,) = pdf_text(letters_render(letter_ids=[letter.pk]))

    assert "〒100-0001" in text
    assert "東京都千代田区千代田1-1" in text
    assert f"{letter.recipient_name} 様" in text
    assert "サンプル通信株式会社" in text
    assert "0120-123-456" in text
    assert "SIPパスワードです" in text
    assert "ハイフンなしで設定" in text
    assert "大切に保管" in text
    assert f"{timezone.localdate().year}年" in text


def test_given_pypdf_when_extracting_then_the_japanese_text_is_there_too(letter):
    reader = PdfReader(io.BytesIO(letters_render(letter_ids=[letter.pk])))

    text = reader.pages[0].extract_text()

    assert "申込番号" in text
    assert letter.application.application_number in text
    assert format_number(letter.application.lines.first().number_id) in text


def test_given_fifty_numbers_when_rendered_then_all_fit_on_one_page(customer, pool):
    letter = place(customer, 50)

    pdf = letters_render(letter_ids=[letter.pk])

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    flat = " ".join(pdf_text(pdf)[0].split())
    for number, pin, sip in secrets_of(letter):
        assert f"{format_number(number)} {pin} {sip}" in flat
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "letter-50-numbers.pdf").write_bytes(pdf)  # test passwords only, in a git-ignored directory
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-singlefile", "-", str(ARTIFACTS / "letter-50-numbers")],
        input=pdf,
        check=True,
        capture_output=True,
    )


def test_given_a_very_long_name_and_address_when_rendered_then_still_one_page_with_the_name(plan, pool):
    customer = CustomerFactory(
        plan=plan,
        contract_name="株式会社" + "ながいなまえ" * 30,
        address="北海道札幌市中央区北一条西二丁目" * 18,
    )
    letter = place(customer, 2)

    pdf = letters_render(letter_ids=[letter.pk])

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "株式会社ながいなまえ" in pdf_text(pdf)[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-singlefile", "-", str(ARTIFACTS / "letter-long-address")],
        input=pdf,
        check=True,
        capture_output=True,
    )


# --- the font ----------------------------------------------------------------------------------


def test_given_a_letter_when_rendered_then_only_the_embedded_ipaex_font_is_used(letter):
    reader = PdfReader(io.BytesIO(letters_render(letter_ids=[letter.pk])))

    fonts = _fonts(reader)

    assert fonts
    for font in fonts:
        assert "IPAex" in str(font["/BaseFont"])
        descriptors = _descriptors(font)
        assert descriptors
        assert all("/FontFile2" in descriptor for descriptor in descriptors)
        assert all(descriptor["/FontFile2"].get_object().get_data() for descriptor in descriptors)


def test_given_a_letter_when_poppler_lists_the_fonts_then_all_are_embedded_subsets(letter):
    pdf = letters_render(letter_ids=[letter.pk])

    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()

    rows = listing.splitlines()[2:]
    assert rows
    for row in rows:
        name, *_, emb, sub, _uni, _obj, _gen = row.split()
        assert "IPAexGothic" in name
        assert (emb, sub) == ("yes", "yes")


def test_given_the_font_file_is_missing_when_rendering_then_improperly_configured_names_the_package(
    letter, settings, tmp_path
):
    settings.SELFCARE_LETTER_FONT = str(tmp_path / "missing.ttf")
    letter_pdf.letter_font.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="fonts-ipaexfont-gothic"):
            letters_render(letter_ids=[letter.pk])
    finally:
        letter_pdf.letter_font.cache_clear()


def test_given_a_letter_when_the_first_page_is_drawn_then_the_png_shows_ink_in_the_window_area(letter):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "letter-page1"
    pdf = letters_render(letter_ids=[letter.pk])

    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", "-", str(target)],
        input=pdf,
        check=True,
        capture_output=True,
    )

    image = Image.open(target.with_suffix(".png")).convert("L")
    assert abs(image.size[0] - 496) <= 1 and abs(image.size[1] - 702) <= 1  # A4 at 60 dpi
    per_mm = image.size[0] / 210
    # The address must lie in the 長形3号 window (90 x 45 mm, 23 mm from the left, 13 mm from the top)
    window = image.crop((int(23 * per_mm), int(13 * per_mm), int(113 * per_mm), int(58 * per_mm)))
    assert window.getextrema()[0] < 100  # dark text in the window
    # ... and nothing else may show through it: between the window and the title the sheet is blank.
    below_window = image.crop((int(20 * per_mm), int(60 * per_mm), int(115 * per_mm), int(62 * per_mm)))
    assert below_window.getextrema()[0] > 200


# --- secrets already destroyed, cancelled numbers ------------------------------------------------


def test_given_destroyed_passwords_when_rendered_then_the_row_says_a_reissue_is_needed(letter):
    IssuedLine.objects.filter(application=letter.application).update(
        service_pin_encrypted="", sip_password_encrypted="", secrets_destroyed_at=timezone.now()
    )

    (text,) = pdf_text(letters_render(letter_ids=[letter.pk]))

    for line in letter.application.lines.all():
        row = next(r for r in text.splitlines() if format_number(line.number_id) in r)
        assert "再発行" in row


def test_given_a_cancelled_number_when_rendered_then_its_passwords_are_not_printed(letter):
    from selfcare.orders.services import numbers_cancel
    from selfcare.testing import TEST_ACTOR

    number, _pin, sip = secrets_of(letter)[0]
    numbers_cancel(numbers=[number], received_on=timezone.localdate(), actor=TEST_ACTOR)

    (text,) = pdf_text(letters_render(letter_ids=[letter.pk]))

    row = next(r for r in text.splitlines() if format_number(number) in r)
    assert "解約済み" in row
    assert sip not in text


# --- rendering changes nothing ------------------------------------------------------------------


def test_given_letters_when_only_rendered_then_nothing_is_recorded(letter):
    before = AuditEntry.objects.count()

    letters_render(letter_ids=[letter.pk])

    letter.refresh_from_db()
    assert (letter.print_count, letter.printed_at) == (0, None)
    assert AuditEntry.objects.count() == before


def test_given_progress_when_rendering_then_it_is_called_once_per_letter(plan, pool):
    letters = [place(CustomerFactory(plan=plan), 1) for _ in range(4)]
    calls: list[int] = []

    letters_render(letter_ids=[letter.pk for letter in letters], progress=calls.append)

    assert calls == [1, 1, 1, 1]


def test_given_ids_in_any_order_when_rendered_then_pages_follow_the_queue(plan, pool):
    letters = [place(CustomerFactory(plan=plan), 1) for _ in range(3)]

    texts = pdf_text(letters_render(letter_ids=[letters[2].pk, letters[0].pk, letters[1].pk, letters[0].pk]))

    assert [letter.application.application_number in text for letter, text in zip(letters, texts, strict=True)] == [
        True
    ] * 3


def test_given_no_or_unknown_ids_when_rendering_then_refused(letter):
    with pytest.raises(NoLettersSelected):
        letters_render(letter_ids=[])
    with pytest.raises(LettersNotFound, match="999999"):
        letters_render(letter_ids=[letter.pk, 999999])
    assert Letter.objects.get(pk=letter.pk).print_count == 0


def test_given_the_encryption_key_is_gone_when_rendering_then_a_clear_refusal_naming_the_letter(letter, settings):
    token = letter.application.lines.first().sip_password_encrypted
    settings.SELFCARE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(SecretsUnreadable) as refusal:
        letters_render(letter_ids=[letter.pk])

    assert refusal.value.params["letter_id"] == letter.pk
    with translation.override("en"):
        assert f"letter {letter.pk}" in str(refusal.value)
    assert token not in str(refusal.value)
