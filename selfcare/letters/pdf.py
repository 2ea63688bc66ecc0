"""The posted letters as A4 PDF pages, one page per letter, one page class per kind (``PAGES``):
IP電話サービス開始のご案内 (an application's numbers and passwords), IP加入電話パスワード再発行のご案内
(one line's new password) and サービス開始のご案内(カスタマー・セルフケア・サービス) (the self-care ID
and initial password).

The letter is a Japanese document whatever the staff's UI language, so its
wording is Japanese here rather than gettext strings. IPAexGothic is embedded
(subset) so every printer and viewer shows the same glyphs; ReportLab's
built-in CID fonts are not embedded and come out as boxes on many systems.

Passwords are decrypted line by line while a page is drawn and go nowhere but
the PDF's (compressed) content stream.

Layout for a window envelope 長形3号 (120 x 235 mm) with the usual address
window of 90 x 45 mm, 23 mm from the edge and 13 mm from the top: folded in
three, the top third of the A4 sheet faces the window, so the address block
sits in the top-left of the page, well inside that window so that the sheet
may slide a few millimetres in the envelope. The sender block sits to the
right of it, outside the window.
"""

from __future__ import annotations

import abc
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from selfcare.core import clock
from selfcare.inventory.models import format_number
from selfcare.letters.errors import LetterWithoutAddress
from selfcare.letters.models import Letter


class LineOnPaper(Protocol):
    """What a letter prints of a number's line (orders' IssuedLine, reached through the letter's foreign
    keys: letters is below orders and imports none of it, docs/architecture.md)."""

    @property
    def number_id(self) -> str: ...

    @property
    def cancelled_on(self) -> dt.date | None: ...

    @property
    def secrets_destroyed_at(self) -> dt.datetime | None: ...

    @property
    def service_pin_encrypted(self) -> str: ...

    @property
    def sip_password_encrypted(self) -> str: ...

    def service_pin(self) -> str | None: ...

    def sip_password(self) -> str | None: ...


# Plain binary (Flate) page streams: without ReportLab's optional C accelerator the ASCII85
# pass is pure Python and a tenth of the rendering time, for no use to a printer.
rl_config.useA85 = 0

FONT_NAME = "IPAexGothic"
FONT_PATH = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT_PACKAGE = "fonts-ipaexfont-gothic"

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT = 20.0, 190.0  # text column, mm from the left edge
BOTTOM = 284.0
# Where the address may be printed (mm from the top-left corner): inside the
# 90 x 45 mm window at (23, 13) with room for the sheet to move.
ADDRESS_BOX = (25.0, 18.0, 72.0, 34.0)  # x, y, width, height
FOLDS = (99.0, 198.0)  # A4 in three: 297 / 3

NO_BREAK_BEFORE = set("、。，．・：；？！ー）」』】〕｝〉》)]}")
NO_BREAK_AFTER = set("（「『【〔｛〈《([{")
# What an address never breaks inside: a run of Latin letters, digits and hyphens, half- or full-width
# (2F, 1-2-3, the 101 of 101号室, １－２－３).
UNBREAKABLE_RUN = re.compile(r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-‐‑‒–—―−－]+")
ADDRESS_SPACES = re.compile(r"[ \u3000]+")
DESTROYED_TEXT = "消去済み ─ 再発行のお手続きが必要です"
CANCELLED_TEXT = "解約済み"
SERVICE_START_TITLE = "IP電話サービス開始のご案内"
REISSUE_TITLE = "IP加入電話パスワード再発行のご案内"
# The manual tells customers their self-care ID and password are in 「サービス開始のご案内」: this letter.
CREDENTIALS_TITLE = "サービス開始のご案内(カスタマー・セルフケア・サービス)"
PIN_UNCHANGED_TEXT = "変更ありません"


@lru_cache(maxsize=1)
def letter_font() -> str:
    """Register IPAexGothic with ReportLab once per process; fail clearly if it is not installed."""
    path = Path(getattr(settings, "SELFCARE_LETTER_FONT", FONT_PATH))
    if not path.is_file():
        raise ImproperlyConfigured(
            f"The Japanese font for letters is missing: {path}. "
            f"Install the Debian package {FONT_PACKAGE} (apt-get install {FONT_PACKAGE})."
        )
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
    return FONT_NAME


def letters_pdf(letters: Iterable[Letter], *, progress: Callable[[int], object] | None = None) -> tuple[bytes, int]:
    """All the letters as one PDF, one page each; returns the PDF and its page count.

    Each letter needs ``application`` and ``application.lines`` loaded (see
    ``selectors.letters_for_printing``) or it costs queries per page.
    """
    font = letter_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font, initialFontSize=10)
    canvas.setTitle(SERVICE_START_TITLE)
    canvas.setAuthor(settings.SELFCARE_CARRIER_NAME)
    canvas.setCreator("050 self-care")
    today = clock.today()
    pages = 0
    for letter in letters:
        _addressed(letter)
        PAGES[letter.kind](canvas, font, letter, today).draw()
        canvas.showPage()
        pages += 1
        if progress is not None:
            progress(1)
    canvas.save()
    return buffer.getvalue(), pages


def _addressed(letter: Letter) -> None:
    """A letter carries passwords: without a postal code and an address it must not be printed at all.

    A letter queued while the customer had no address takes the contract address entered since
    (on this page only); with none there either, LetterWithoutAddress refuses the whole print.
    """
    if not (letter.postal_code.strip() and letter.address.strip()):
        customer = letter.customer
        letter.postal_code, letter.address = customer.postal_code, customer.address
    if not (letter.postal_code.strip() and letter.address.strip()):
        raise LetterWithoutAddress(letter_id=letter.pk, name=letter.recipient_name)


def format_postal_code(code: str) -> str:
    """１２３－４５６７, 1234567, 123ー4567 -> 123-4567 (as typed when it is no 7-digit code)."""
    normalised = unicodedata.normalize("NFKC", code).strip()
    digits = "".join(ch for ch in normalised if ch not in "-‐‑‒–—―ー−〒 ")
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 and digits.isascii() and digits.isdigit() else normalised


def japanese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@lru_cache(maxsize=4096)
def wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Break text to ``width`` points anywhere (Japanese has no spaces), never before 、。） and the like.

    Cached: most pages repeat the same paragraphs word for word.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, line_width = "", 0.0
        for char in paragraph:
            char_width = _char_width(char, font, size)
            if line and char not in NO_BREAK_BEFORE and line_width + char_width > width:
                carried = ""
                while line and line[-1] in NO_BREAK_AFTER:  # an opening bracket goes with what it opens
                    line, carried = line[:-1], line[-1] + carried
                lines.append(line)
                line = (carried + char).lstrip()
                line_width = pdfmetrics.stringWidth(line, font, size)
            else:
                line += char
                line_width += char_width
        lines.append(line)
    return tuple(lines)


@lru_cache(maxsize=1024)
def wrap_address(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Break an address to ``width`` points at the spaces between its parts (区 and ビル名, say).

    A part longer than the whole line (Japanese addresses are often written without spaces) continues
    the line and breaks where the line is full, but never inside a run of Latin letters, digits and
    hyphens (``UNBREAKABLE_RUN``) nor before 、。） and the like; a run longer than the line itself is
    the one thing cut at the line's width.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for part, space in _address_parts(paragraph):
            joined = line + space + part if line else part
            if pdfmetrics.stringWidth(joined, font, size) <= width:
                line = joined
            elif pdfmetrics.stringWidth(part, font, size) <= width:
                lines.append(line)
                line = part
            else:  # too long for any line: it fills this one and breaks inside
                *full, line = _break_part(part, line + space if line else "", font, size, width)
                lines.extend(full)
        lines.append(line)
    return tuple(lines)


def _address_parts(paragraph: str) -> list[tuple[str, str]]:
    """(part, the spaces before it) of a paragraph of an address."""
    parts = ADDRESS_SPACES.split(paragraph.strip())
    spaces = ADDRESS_SPACES.findall(paragraph.strip())
    return [(part, spaces[index - 1] if index else "") for index, part in enumerate(parts) if part]


def _break_part(part: str, line: str, font: str, size: float, width: float) -> list[str]:
    """``line`` with ``part`` added, broken into lines of ``width`` at most; the last one stays open."""
    lines: list[str] = []
    units = [match.group() for match in re.finditer(UNBREAKABLE_RUN.pattern + "|.", part)]
    for unit in units:
        if not line or unit[0] in NO_BREAK_BEFORE or pdfmetrics.stringWidth(line + unit, font, size) <= width:
            line += unit
        else:
            carried = ""
            while line and line[-1] in NO_BREAK_AFTER:  # an opening bracket goes with what it opens
                line, carried = line[:-1], line[-1] + carried
            if line.strip():
                lines.append(line.rstrip())
            line = carried + unit
        while len(unit) > 1 and len(line) > 1 and pdfmetrics.stringWidth(line, font, size) > width:
            # the last resort: a run longer than the whole line is cut where the line is full
            cut = len(line) - 1
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    return [*lines, line]


@lru_cache(maxsize=8192)
def _char_width(char: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(char, font, size)


def _clip(lines: Sequence[str], keep: int) -> list[str]:
    if len(lines) <= keep:
        return list(lines)
    return [*lines[: keep - 1], lines[keep - 1][:-1] + "…"] if keep else []


@dataclass(frozen=True)
class _Row:
    number: str
    service_pin: str | None
    sip_password: str | None
    note: str | None  # instead of the passwords


class _LetterPage(abc.ABC):
    """What every letter has: fold marks, the address in the envelope's window, the sender, and its id at the foot.

    Each kind of letter is a subclass that draws its ``body`` below the sender (``PAGES``).
    """

    def __init__(self, canvas: Canvas, font: str, letter: Letter, today: dt.date) -> None:
        self.c = canvas
        self.font = font
        self.letter = letter
        self.today = today

    # --- drawing helpers, in mm from the top-left corner ---------------------------------------

    def text(self, x: float, y: float, text: str, size: float, *, align: str = "left") -> None:
        """Draw text with its baseline ``y`` mm below the top edge."""
        self.c.setFont(self.font, size)
        if align == "right":
            self.c.drawRightString(x * mm, PAGE_HEIGHT - y * mm, text)
        elif align == "center":
            self.c.drawCentredString(x * mm, PAGE_HEIGHT - y * mm, text)
        else:
            self.c.drawString(x * mm, PAGE_HEIGHT - y * mm, text)

    def hline(self, x1: float, x2: float, y: float, width: float = 0.4) -> None:
        self.c.setLineWidth(width)
        self.c.line(x1 * mm, PAGE_HEIGHT - y * mm, x2 * mm, PAGE_HEIGHT - y * mm)

    def rect(self, x: float, y: float, w: float, h: float, *, fill: float | None = None) -> None:
        if fill is not None:
            self.c.setFillGray(fill)
        self.c.rect(x * mm, PAGE_HEIGHT - (y + h) * mm, w * mm, h * mm, stroke=1, fill=1 if fill is not None else 0)
        self.c.setFillGray(0)

    def paragraph(self, y: float, text: str, size: float, *, indent: float = 0.0, leading: float = 1.55) -> float:
        """Wrapped text from ``y`` (its first baseline); returns the y below it."""
        step = size * leading / mm
        for line in wrap(text, self.font, size, (RIGHT - LEFT - indent) * mm):
            self.text(LEFT + indent, y, line, size)
            y += step
        return y

    def paragraph_height(self, text: str, size: float, *, indent: float = 0.0, leading: float = 1.55) -> float:
        return len(wrap(text, self.font, size, (RIGHT - LEFT - indent) * mm)) * size * leading / mm

    def section_drawer(self, heading: str, items: list[str], size: float) -> Callable[[float], object]:
        """A heading and its bulleted items, drawn from the y it is given."""

        def draw(y: float) -> None:
            self.text(LEFT, y + 3.5, heading, 9.5)
            y += 5.5 + size / mm
            for item in items:
                self.text(LEFT + 0.5, y, "・", size)
                y = self.paragraph(y, item, size, indent=3.0, leading=1.45)

        return draw

    # --- the page ------------------------------------------------------------------------------

    def draw(self) -> None:
        self.fold_marks()
        self.address_block()
        self.sender_block()
        self.body(70.0)
        self.c.setFillGray(0.45)
        self.text(RIGHT, 292.0, f"L{self.letter.pk}", 6.5, align="right")
        self.c.setFillGray(0)

    @abc.abstractmethod
    def body(self, y: float) -> None:
        """What this kind of letter says, from its title at ``y`` down to 以上."""

    def closing_word(self, y: float) -> float:
        """敬具 at the right under the greeting that opened with 拝啓 (a letter that opens with 拝啓 closes with
        敬具), before 記 and the particulars that end in 以上; returns the y under it."""
        self.text(RIGHT, y, "敬具", 9.5, align="right")  # on the line after the greeting's last one
        return y + 3.0

    def fold_marks(self) -> None:
        self.c.setStrokeGray(0.6)
        for y in FOLDS:
            self.hline(2.0, 7.0, y, 0.3)
        self.c.setStrokeGray(0)

    def address_block(self) -> None:
        """〒 and 親展, the address, then the name + 様, inside the envelope window.

        The address breaks between its parts (wrap_address). Long addresses get
        smaller type. The name always shows (up to two lines, ending in 様); an
        address too long even in 7 pt loses its end rather than pushing the name
        out of the window.
        """
        x, top, width, height = ADDRESS_BOX
        letter = self.letter
        header, gap = 7.0, 2.0  # the 〒 line with 親展 beside it; space before the name
        name = f"{letter.recipient_name} 様"
        for size in (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0):
            line_height, name_height = size * 1.35 / mm, (size + 1.5) * 1.4 / mm
            address_lines = wrap_address(letter.address, self.font, size, width * mm) if letter.address.strip() else ()
            name_lines = wrap(name, self.font, size + 1.5, width * mm)
            fixed = header + gap + min(len(name_lines), 2) * name_height
            if fixed + len(address_lines) * line_height <= height and len(name_lines) <= 2:
                break
        address_shown = _clip(address_lines, max(0, int((height - fixed) / line_height)))
        name_shown = list(name_lines[:2])
        if len(name_lines) > 2:
            name_shown[1] = name_shown[1][:-3] + "… 様"

        self.c.setLineWidth(0.6)
        self.rect(x + width - 11.0, top, 11.0, 5.5)
        self.text(x + width - 5.5, top + 4.0, "親展", 9.0, align="center")
        if letter.postal_code.strip():
            self.text(x, top + 4.3, f"〒{format_postal_code(letter.postal_code)}", 10.5)
        y = top + header  # the top of the next line
        for line in address_shown:
            self.text(x, y + size * 0.88 / mm, line, size)
            y += line_height
        y += gap
        for line in name_shown:
            self.text(x, y + (size + 1.5) * 0.88 / mm, line, size + 1.5)
            y += name_height

    def sender_block(self) -> None:
        self.text(RIGHT, 20.0, japanese_date(self.today), 9.5, align="right")
        y = 30.0
        sender_address = str(getattr(settings, "SELFCARE_SENDER_ADDRESS", "") or "")
        for line in sender_address.splitlines():
            self.text(RIGHT, y, line, 8.5, align="right")
            y += 4.2
        self.text(RIGHT, y, settings.SELFCARE_CARRIER_NAME, 11.0, align="right")
        y += 5.5
        self.text(RIGHT, y, f"お客様センター TEL {settings.SELFCARE_SUPPORT_PHONE}", 8.5, align="right")
        y += 4.2
        self.text(RIGHT, y, settings.SELFCARE_SERVICE_SITE_URL, 8.0, align="right")


class _CredentialsPage(_LetterPage):
    """サービス開始のご案内(カスタマー・セルフケア・サービス): a new contract's self-care ID and initial password."""

    def body(self, y: float) -> None:
        """The ID and the password, decrypted only here, then how to log in."""
        from selfcare.core import crypto

        letter = self.letter
        self.text((LEFT + RIGHT) / 2, y, CREDENTIALS_TITLE, 16.0, align="center")
        y = self.paragraph(
            y + 10.0,
            f"拝啓 平素は{settings.SELFCARE_CARRIER_NAME}をご利用いただき、誠にありがとうございます。"
            "カスタマー・セルフケア・サービスにログインするための「セルフケアID」と「セルフケアパスワード」を"
            "ご案内申し上げます。050番号の追加などのお手続きにご利用ください。",
            9.5,
        )
        y = self.closing_word(y)
        self.text((LEFT + RIGHT) / 2, y + 4.0, "記", 10.0, align="center")
        y += 10.0
        password = crypto.decrypt(letter.secret_encrypted) if letter.secret_encrypted else None
        rows = [
            ("セルフケアID", letter.customer.selfcare_id),
            ("セルフケアパスワード", password or DESTROYED_TEXT),
        ]
        self.c.setLineWidth(0.5)
        for label, value in rows:
            self.rect(LEFT, y, 60.0, 10.0, fill=0.93)
            self.rect(LEFT + 60.0, y, RIGHT - LEFT - 60.0, 10.0)
            self.text(LEFT + 3.0, y + 6.5, label, 10.5)
            self.text(LEFT + 63.0, y + 6.8, value, 13.0 if password else 9.5)
            y += 10.0
        y += 8.0
        days = settings.SELFCARE_SECRETS_RETENTION_DAYS
        items = [
            f"ログイン: サービスサイト({settings.SELFCARE_SERVICE_SITE_URL})の「セルフケアログイン」から、"
            "セルフケアIDとセルフケアパスワードを入力してください。",
            "ご本人様確認のため、ログイン後、ご契約時に登録のメールアドレス宛に認証コードをお送りします(二段階認証)。",
            "初回ログイン後、「パスワード変更」から15文字以上のご自身のパスワードに変更してください。",
            f"本書の発送から{days}日後に、当社で保管している初期パスワードは消去されます。",
            f"お問い合わせ: {settings.SELFCARE_CARRIER_NAME} お客様センター TEL {settings.SELFCARE_SUPPORT_PHONE}",
        ]
        self.section_drawer("■ ご利用方法", items, 9.0)(y)
        self.text(RIGHT, BOTTOM - 2.0, "以上", 9.5, align="right")


class _LinesPage(_LetterPage):
    """A letter of 050 numbers and their passwords: a title and greeting, a summary bar, the table of
    lines, then the setup, safekeeping and contact sections at the foot."""

    title: str
    table_heading: str

    @abc.abstractmethod
    def greeting(self) -> str:
        """The paragraph under the title."""

    @abc.abstractmethod
    def summary(self) -> tuple[str, tuple[float, str], str]:
        """The bar above the table: its left text, (x from LEFT, text) in the middle, its right text."""

    @abc.abstractmethod
    def rows(self) -> list[_Row]:
        """The table's rows, one per line of the letter."""

    def body(self, y: float) -> None:
        y = self.opening(y)
        closing = self.closing_sections()
        # The table takes what the closing sections leave; a short table lets them follow it.
        y = self.lines_table(y, BOTTOM - sum(height for height, _ in closing) - 5.0) + 5.0
        for height, draw in closing:
            draw(y)
            y += height

    def opening(self, y: float) -> float:
        self.text((LEFT + RIGHT) / 2, y, self.title, 16.0, align="center")
        y = self.paragraph(y + 10.0, self.greeting(), 9.5)
        y = self.closing_word(y)
        self.text((LEFT + RIGHT) / 2, y + 2.5, "記", 10.0, align="center")
        y += 8.0
        self.c.setLineWidth(0.5)
        self.rect(LEFT, y - 5.0, RIGHT - LEFT, 7.5, fill=0.93)
        left, (middle_x, middle), right = self.summary()
        self.text(LEFT + 3.0, y, left, 10.5)
        self.text(LEFT + middle_x, y, middle, 9.5)
        self.text(RIGHT - 3.0, y, right, 9.5, align="right")
        return y + 9.0

    def lines_table(self, top: float, bottom: float) -> float:
        """The table(s) of lines between ``top`` and ``bottom``; returns where they end."""
        rows = self.rows()
        self.text(LEFT, top, self.table_heading, 10.0)
        top += 2.5
        available = bottom - top
        # As few side-by-side tables as keep the rows legible: up to about 20 numbers take one, 50 take two.
        if (len(rows) + 1) * 5.0 <= available:
            columns, header_rows = 1, 1.0
        else:
            header_rows = 1.8  # the labels go on two lines
            columns = 2 if (math.ceil(len(rows) / 2) + header_rows) * 3.6 <= available else 3
        per_column = max(1, math.ceil(len(rows) / columns))
        row_height = min(7.0, available / (per_column + header_rows))
        gap = 5.0
        width = (RIGHT - LEFT - gap * (columns - 1)) / columns
        table = _Table(self, width, row_height, header_rows, rows)
        for index in range(columns):
            chunk = rows[index * per_column : (index + 1) * per_column]
            if chunk or index == 0:
                table.draw(LEFT + index * (width + gap), top, chunk)
        return top + table.header_height + per_column * row_height

    def closing_sections(self) -> list[tuple[float, Callable[[float], object]]]:
        """The sections under the table, bottom-aligned: (height in mm, draw at y)."""
        carrier = settings.SELFCARE_CARRIER_NAME
        days = settings.SELFCARE_SECRETS_RETENTION_DAYS
        sections = [
            (
                "■ IP電話機(アダプタ)の設定",
                [
                    "ユーザー名(認証ID): IP電話番号(050番号)をハイフンなしで設定してください(例: 05012345678)。",
                    "パスワード: 「IP加入電話パスワード」を設定してください。IP電話機のSIPパスワードです。",
                    "「付加サービスパスワード」は、付加サービスのお申し込みや設定変更の際に必要です。",
                    f"設定方法の詳細は、サービスサイト({settings.SELFCARE_SERVICE_SITE_URL})をご覧ください。",
                ],
            ),
            (
                "■ パスワードの管理について",
                [
                    "パスワードは第三者に知られないよう、本書とともに大切に保管してください。"
                    "当社から電話やメールでパスワードをお尋ねすることはありません。",
                    f"本書の発送から{days}日後に、当社で保管しているパスワードは消去されます。"
                    "紛失された場合は再発行のお手続きが必要です(お知らせすることはできません)。",
                ],
            ),
            (
                "■ お問い合わせ",
                [
                    f"{carrier} お客様センター TEL {settings.SELFCARE_SUPPORT_PHONE}"
                    "(お問い合わせの際は申込番号をお知らせください)",
                ],
            ),
        ]
        size = 8.5
        out: list[tuple[float, Callable[[float], object]]] = []
        for heading, items in sections:
            height = 5.5 + sum(self.paragraph_height(item, size, indent=3.0, leading=1.45) for item in items) + 1.0
            out.append((height, self.section_drawer(heading, items, size)))
        out.append((5.0, lambda y: self.text(RIGHT, y + 2.0, "以上", 9.5, align="right")))
        return out

    def _cancelled(self, line: LineOnPaper) -> bool:
        return line.cancelled_on is not None and line.cancelled_on <= self.today


class _ServiceStartPage(_LinesPage):
    """IP電話サービス開始のご案内: an application's numbers, each with both passwords."""

    title = SERVICE_START_TITLE
    table_heading = "■ ご利用いただくIP電話番号とパスワード"

    def greeting(self) -> str:
        application = self.letter.application
        count = application.count if application is not None else 0
        return (
            f"拝啓 平素は{settings.SELFCARE_CARRIER_NAME}をご利用いただき、誠にありがとうございます。"
            f"このたびは050番号追加のお申し込みをいただき、ありがとうございました。"
            f"下記のIP電話番号(050番号){count}件のご利用を開始いたしましたので、ご案内申し上げます。"
        )

    def summary(self) -> tuple[str, tuple[float, str], str]:
        application = self.letter.application
        count = application.count if application is not None else 0
        number = application.application_number if application is not None else "-"
        placed = japanese_date(timezone.localdate(application.placed_at)) if application is not None else "-"
        return f"申込番号 {number}", (78.0, f"お申込日 {placed}"), f"追加番号数 {count}"

    def rows(self) -> list[_Row]:
        application = self.letter.application
        return [self._row(line) for line in (application.lines.all() if application is not None else [])]

    def _row(self, line: LineOnPaper) -> _Row:
        number = format_number(line.number_id)
        if self._cancelled(line):
            return _Row(number, None, None, CANCELLED_TEXT)
        if line.secrets_destroyed_at is not None or not line.service_pin_encrypted or not line.sip_password_encrypted:
            return _Row(number, None, None, DESTROYED_TEXT)
        return _Row(number, line.service_pin(), line.sip_password(), None)


class _ReissuePage(_LinesPage):
    """IP加入電話パスワード再発行のご案内: one line's new IP phone password (the PIN did not change and is
    not put on paper again)."""

    title = REISSUE_TITLE
    table_heading = "■ 新しいIP加入電話パスワード"

    def greeting(self) -> str:
        return (
            f"拝啓 平素は{settings.SELFCARE_CARRIER_NAME}をご利用いただき、誠にありがとうございます。"
            "お申し出により、下記のIP電話番号(050番号)のIP加入電話パスワードを再発行いたしましたので、"
            "ご案内申し上げます。これまでのIP加入電話パスワードは、再発行の時点でご利用いただけなくなりました。"
            "お手数ですが、IP電話機(アダプタ)に新しいパスワードを設定してください。"
            "付加サービスパスワードは変更しておりません。"
        )

    def summary(self) -> tuple[str, tuple[float, str], str]:
        line = self.letter.line
        number = format_number(line.number_id) if line is not None else "-"
        application = line.application.application_number if line is not None else "-"
        reissued = japanese_date(timezone.localdate(self.letter.queued_at))
        return f"IP電話番号 {number}", (66.0, f"再発行日 {reissued}"), f"申込番号 {application}"

    def rows(self) -> list[_Row]:
        line = self.letter.line
        if line is None:
            return []
        number = format_number(line.number_id)
        if self._cancelled(line):
            return [_Row(number, None, None, CANCELLED_TEXT)]
        if not line.sip_password_encrypted:
            return [_Row(number, None, None, DESTROYED_TEXT)]
        return [_Row(number, PIN_UNCHANGED_TEXT, line.sip_password(), None)]


PAGES: dict[str, type[_LetterPage]] = {
    Letter.Kind.SERVICE_START: _ServiceStartPage,
    Letter.Kind.SIP_PASSWORD_REISSUE: _ReissuePage,
    Letter.Kind.SELFCARE_CREDENTIALS: _CredentialsPage,
}


class _Table:
    """One table of lines: IP電話番号(050番号) | 付加サービスパスワード | IP加入電話パスワード."""

    HEADER = ("IP電話番号(050番号)", "付加サービスパスワード", "IP加入電話パスワード")
    HEADER_SPLIT = (("IP電話番号", "(050番号)"), ("付加サービス", "パスワード"), ("IP加入電話", "パスワード"))
    SHARES = (0.36, 0.26, 0.38)

    def __init__(self, page: _LinesPage, width: float, row_height: float, header_rows: float, rows: list[_Row]):
        self.page = page
        self.font = page.font
        self.width = width
        self.widths = tuple(width * share for share in self.SHARES)
        self.row_height = row_height
        self.header_height = row_height * header_rows
        self.split = header_rows > 1
        cells = [(0, row.number) for row in rows] + [(2, row.sip_password or "") for row in rows]
        self.size = self._fit(min(10.5, row_height * mm * 0.68), cells)
        labels = (
            [(i, part) for i, parts in enumerate(self.HEADER_SPLIT) for part in parts]
            if self.split
            else list(enumerate(self.HEADER))
        )
        self.header_size = self._fit(min(self.size, 9.0), labels)

    def _fit(self, size: float, cells: list[tuple[int, str]]) -> float:
        while size > 4.0 and any(
            pdfmetrics.stringWidth(text, self.font, size) > (self.widths[i] - 2.0) * mm for i, text in cells
        ):
            size -= 0.25
        return size

    def draw(self, x: float, top: float, rows: list[_Row]) -> None:
        page, w = self.page, self.widths
        page.c.setLineWidth(0.4)
        page.rect(x, top, self.width, self.header_height, fill=0.88)
        centres = (x + w[0] / 2, x + w[0] + w[1] / 2, x + w[0] + w[1] + w[2] / 2)
        if self.split:
            step = self.header_size * 1.15 / mm
            first = top + self.header_height / 2 - step / 2 + self.header_size * 0.35 / mm
            for centre, (upper, lower) in zip(centres, self.HEADER_SPLIT, strict=True):
                page.text(centre, first, upper, self.header_size, align="center")
                page.text(centre, first + step, lower, self.header_size, align="center")
        else:
            baseline = top + self.header_height / 2 + self.header_size * 0.35 / mm
            for centre, label in zip(centres, self.HEADER, strict=True):
                page.text(centre, baseline, label, self.header_size, align="center")
        y = top + self.header_height
        offset = self.row_height / 2 + self.size * 0.35 / mm
        inner = (x + w[0], x + w[0] + w[1])
        self._rules(inner, top, y)
        for row in rows:
            # A note spans both password columns: the rule between them stops short of its row.
            self._rules(inner if row.note is None else inner[:1], y, y + self.row_height)
            page.c.setLineWidth(0.4)
            page.rect(x, y, self.width, self.row_height)
            page.text(centres[0], y + offset, row.number, self.size, align="center")
            if row.note is not None:
                span = w[1] + w[2]
                size = self.size
                while size > 4.0 and pdfmetrics.stringWidth(row.note, self.font, size) > (span - 2.0) * mm:
                    size -= 0.25
                page.text(x + w[0] + span / 2, y + offset, row.note, size, align="center")
            else:
                page.text(centres[1], y + offset, row.service_pin or "", self.size, align="center")
                page.text(centres[2], y + offset, row.sip_password or "", self.size, align="center")
            y += self.row_height

    def _rules(self, xs: tuple[float, ...], top: float, bottom: float) -> None:
        self.page.c.setLineWidth(0.25)
        for line_x in xs:
            self.page.c.line(line_x * mm, PAGE_HEIGHT - top * mm, line_x * mm, PAGE_HEIGHT - bottom * mm)
