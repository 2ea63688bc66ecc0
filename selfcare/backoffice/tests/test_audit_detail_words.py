"""An audit entry's detail in words, as the staff walk found it: what an e-mailed code confirmed, a webhook's URL
and events, and a line by its 050 number (not an internal id); no key or event name left in English."""

from __future__ import annotations

import re

from django.utils import translation

from selfcare.backoffice.audit_detail import detail_pairs
from selfcare.orders.models import IssuedLine

ENGLISH_KEY = re.compile(r"^[a-z_]+$")


def _ja(detail, action):
    with translation.override("ja"):
        return detail_pairs(detail, action)


def test_what_a_code_confirmed_is_in_words():
    for purpose in ("webhook.register", "api_key.create", "webhook.rotate", "sip_password.reissue"):
        ((label, value),) = _ja({"for": purpose}, "fresh_code.sent")
        assert not ENGLISH_KEY.match(label) and label != "for", label
        assert "." not in value and value != purpose, value


def test_a_webhooks_url_and_events_are_in_words():
    pairs = dict(
        _ja(
            {
                "url": "https://hooks.example/050",
                "events": ["application.completed", "number.cancelled", "sip_password.reissued"],
            },
            "webhook.registered",
        )
    )
    assert "url" not in pairs and "events" not in pairs, pairs
    events = next(value for label, value in pairs.items() if "https" not in value)
    assert "application.completed" not in events and "number.cancelled" not in events
    assert "sip_password.reissued" not in events


def test_a_line_is_shown_by_its_050_number(world):
    line = IssuedLine.objects.get(number_id="05000000001")
    ((label, value),) = _ja({"line": line.pk}, "sip_password.reissued")
    assert value == "050-0000-0001" and label == "回線の050番号", (label, value)
    ((_, unknown),) = _ja({"line": 987654321}, "sip_password.reissued")
    assert "987654321" in unknown and unknown != "987654321"
