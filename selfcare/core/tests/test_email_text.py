"""E-mails are plain text: a contract name or a key's name with quotes or angle brackets reads as typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template.loader import render_to_string

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(ROOT.glob("*/templates/*/email/*.txt"))
ODD = "\"ACME\" <Tokyo> & =HYPERLINK('x')"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_given_quotes_and_brackets_in_every_value_then_the_mail_shows_them_unescaped(path):
    name = str(path.relative_to(path.parents[2]))
    value = {"contract_name": ODD, "name": ODD, "application_number": ODD, "count": 1}
    context = {
        "customer": value,
        "application": value,
        "name": ODD,
        "what": ODD,
        "carrier": ODD,
        "support_phone": ODD,
        "numbers": [ODD],
        "code": "123456",
        "minutes": 10,
    }

    text = render_to_string(name, context)

    assert "&quot;" not in text and "&lt;" not in text and "&amp;" not in text and "&#x27;" not in text, name
