from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MaximumLengthValidator:
    """Passwords people choose: at most 128 characters (no composition rules)."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long. It may have at most %(max_length)d characters."),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password may have at most %(max_length)d characters.") % {"max_length": self.max_length}


# Rows of a Japanese (JIS) and US keyboard, each direction along them being a sequence people type.
_KEYBOARD_ROWS = ("1234567890-^", "qwertyuiop@[", "asdfghjkl;:]", "zxcvbnm,./", "1qaz", "2wsx", "3edc", "4rfv")
_MIN_RUN = 3  # characters in a row that make a run (aaa, 123, cba, qwe)
_LONGEST_LOOKED_AT = 128  # the longest password accepted at all (MaximumLengthValidator's default)
_MIN_COMMON = 4  # the shortest common password looked for inside a longer one


def _steps_along(a: str, b: str) -> set[int]:
    """How ``b`` follows ``a``: 0 (the same), +1/-1 (next or previous letter or digit, 9 to 0 too) or +2/-2 (the
    next or previous key of a keyboard row); empty when it does not."""
    steps = set()
    if a == b:
        steps.add(0)
    if a.isalnum() and b.isalnum() and a.isascii() and b.isascii():
        difference = ord(b) - ord(a)
        if difference in (1, -1) or ({a, b} == {"9", "0"} and a.isdigit()):
            steps.add(1 if difference == 1 or (a, b) == ("9", "0") else -1)
    for row in _KEYBOARD_ROWS:
        i, j = row.find(a), row.find(b)
        if i >= 0 and j >= 0 and abs(i - j) == 1:
            steps.add(2 if j > i else -2)
    return steps


def _run_marks(text: str) -> list[bool]:
    """Which characters belong to a run of at least three: one character repeated, or a sequence of letters,
    digits or keys, in either direction."""
    marks = [False] * len(text)
    start, step = 0, None
    for i in range(1, len(text) + 1):
        steps = _steps_along(text[i - 1], text[i]) if i < len(text) else set()
        if step is not None and step in steps:
            continue
        if i - start >= _MIN_RUN:
            marks[start:i] = [True] * (i - start)
        # A new run starts at the previous character, along any step it shares with this one.
        start, step = i - 1, (min(steps, key=abs) if steps else None)
    return marks


def _mark_repeats(marks: list[bool], text: str) -> None:
    """Mark each copy of a part that follows itself at once (``abcabc``: the second ``abc``): the first copy
    is the only one to guess."""
    for start in range(len(text)):
        for length in range(1, (len(text) - start) // 2 + 1):
            unit = text[start : start + length]
            end = start + length
            while text.startswith(unit, end):
                end += length
            if end > start + length:
                marks[start + length : end] = [True] * (end - start - length)


def _mark(marks: list[bool], text: str, part: str) -> bool:
    found = False
    at = text.find(part)
    while part and at >= 0:
        marks[at : at + len(part)] = [True] * len(part)
        found = True
        at = text.find(part, at + 1)
    return found


class PredictablePasswordValidator:
    """Refuses a password of which at least half is predictable: a repeated unit, runs of one character or of
    a sequence (aaaa, 1234, abcabc, qwerty), the self-care ID, the e-mail address's local part, or one
    commonly used password (Django's list).

    Django's CommonPasswordValidator compares the whole password with its list, and few of its passwords
    are 15 characters long: ``password1234567`` or ``demo0001demo0001`` passed it. Only one common password
    counts, so a phrase of ordinary words ("correct horse battery staple") is not refused.
    """

    def __init__(self) -> None:
        from django.contrib.auth.password_validation import CommonPasswordValidator

        self.common = {word for word in CommonPasswordValidator().passwords if len(word) >= _MIN_COMMON}
        self.longest_common = max(map(len, self.common), default=0)

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > _LONGEST_LOOKED_AT:
            return  # refused for its length (MaximumLengthValidator); the searches below grow as its cube
        text = unicodedata.normalize("NFKC", password).casefold()
        if not text:
            return
        marks = _run_marks(text)
        _mark_repeats(marks, text)
        personal = False
        for part in self._personal_parts(user):
            personal = _mark(marks, text, part) or personal
        common = self._longest_common_in(text)
        if common:
            _mark(marks, text, common)
        if sum(marks) * 2 >= len(text):
            raise ValidationError(
                _(
                    "This password is easy to guess: half of it or more is a repeated or sequential pattern "
                    "(aaaa, 1234, abcabc, qwerty), your self-care ID or e-mail address, or a commonly used "
                    "password. Choose one that is mostly your own words."
                ),
                code="password_predictable",
            )

    @staticmethod
    def _personal_parts(user: object) -> list[str]:
        parts = []
        for value in (getattr(user, "username", ""), (getattr(user, "email", "") or "").partition("@")[0]):
            value = unicodedata.normalize("NFKC", value or "").casefold()
            if len(value) >= _MIN_RUN:
                parts.append(value)
        return parts

    def _longest_common_in(self, text: str) -> str:
        for length in range(min(len(text), self.longest_common), _MIN_COMMON - 1, -1):
            for start in range(len(text) - length + 1):
                if text[start : start + length] in self.common:
                    return text[start : start + length]
        return ""

    def get_help_text(self) -> str:
        return _(
            "Less than half of your password may be a repeated or sequential pattern (aaaa, 1234, abcabc, qwerty), "
            "your self-care ID or e-mail address, or a commonly used password."
        )
