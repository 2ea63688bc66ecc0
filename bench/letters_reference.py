"""ReportLab alone, as the ceiling for bench/letters.py: A4 pages of the same volume as one
service-start letter with 10 numbers (73 strings, about 1,090 characters, 17 rules and boxes),
in the same embedded font and page compression, without the database, decryption or layout.

    .venv/bin/python bench/letters_reference.py --pages 1000
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
TEXT = (
    "平素より格別のご愛顧を賜り厚く御礼申し上げます。このたびはIP電話サービスの050番号を"
    "お申し込みいただき誠にありがとうございます。下記のとおり番号を発行いたしましたので、"
    "付加サービスパスワードとIP加入電話パスワードとともにご案内申し上げます。"
)
STRINGS, CHARACTERS, RULES, BOXES = 73, 1_090, 4, 13


def render(pages: int, font_path: Path) -> bytes:
    rl_config.useA85 = 0  # as selfcare/letters/pdf.py
    pdfmetrics.registerFont(TTFont("IPAexGothic", str(font_path)))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName="IPAexGothic", initialFontSize=10)
    width = CHARACTERS // STRINGS
    for page in range(pages):
        for i in range(STRINGS):
            canvas.setFont("IPAexGothic", 9 + i % 3)
            start = (i * width) % (len(TEXT) - width)
            text = f"050-{page % 10_000:04d}-{i:04d}" if i % 5 == 0 else TEXT[start : start + width]
            canvas.drawString(60, 800 - i * 10, text)
        for i in range(RULES):
            canvas.line(50, 300 + i * 100, 550, 300 + i * 100)
        for i in range(BOXES):
            canvas.rect(60 + i * 35, 200, 30, 20, fill=i % 2)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--font", type=Path, default=FONT)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not args.font.is_file():
        sys.exit(f"font not found: {args.font} (Debian package fonts-ipaexfont-gothic)")
    started = time.perf_counter()
    pdf = render(args.pages, args.font)
    seconds = time.perf_counter() - started
    print(
        f"ReportLab alone: {args.pages} pages ({len(pdf) / 1e6:.1f} MB) in {seconds:.1f} s: "
        f"{args.pages / seconds:.0f} pages/s"
    )
    if args.json:
        args.json.write_text(json.dumps({"pages": args.pages, "seconds": seconds, "per_second": args.pages / seconds}))


if __name__ == "__main__":
    main()
