"""CSV files that a spreadsheet opens as data, never as formulas.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is run as a formula by Excel and LibreOffice: a contract name
or a typed self-care ID such as ``=HYPERLINK(...)`` would act on the operator's machine. Such a
text cell is written with a leading apostrophe, which spreadsheets show as text; numbers, and
text that is just a number (``-5``, ``+3.5``), stay numbers.

A spreadsheet may also split a cell again on a tab or a semicolon (an import with those as
separators, Excel in locales whose list separator is ``;``): each part of a text cell that
begins after a tab, CR, LF, semicolon, comma or bar is treated the same way. Every CSV the
project writes goes through ``csv_writer``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?\Z")
# A part of the cell that a re-split would make a cell of its own, starting as a formula.
_INNER_FORMULA = re.compile(r"(?<=[\t\r\n;,|])(?=[=+\-@＝＋－＠])")


class TextSink(Protocol):
    def write(self, text: str, /) -> Any: ...


def csv_cell(value: Any) -> Any:
    if not isinstance(value, str) or _NUMBER.match(value):
        return value
    value = _INNER_FORMULA.sub("'", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class SafeWriter:
    """``csv.writer`` whose every text cell is neutralised as ``csv_cell`` says."""

    def __init__(self, stream: TextSink, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: TextSink, **options: Any) -> SafeWriter:
    return SafeWriter(stream, **options)
