"""The audit section of a customer's page names its targets as the audit log does."""

from __future__ import annotations

import re

from selfcare.audit.services import audit_record
from selfcare.backoffice.tests.conftest import html
from selfcare.testing import TEST_ACTOR


def test_a_number_and_a_webhook_are_shown_in_words_not_as_stored(superuser, world):
    audit_record(actor=TEST_ACTOR, action="numbers.cancelled", customer=world.acme, target="05099990001")
    audit_record(actor=TEST_ACTOR, action="webhook.registered", customer=world.acme, target="webhook:42")

    page = html(superuser.get(f"/staff/accounts/customer/{world.acme.pk}/change/"))
    targets = re.findall(r'<td class="field-target_display">\s*<p>(.*?)</p>', page)

    assert "050-9999-0001" in targets
    assert "05099990001" not in targets and "webhook:42" not in targets
    assert any(target.endswith("No.42") for target in targets)
