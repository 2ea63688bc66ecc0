"""The audit log reads in the staff member's language and the carrier's time."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.tests.conftest import html


def test_given_the_audit_log_when_listed_then_the_action_column_has_a_translated_header(auditor, world):
    page = html(auditor.get("/staff/audit/auditentry/"))

    with translation.override("ja"):
        header = gettext("action")
    assert "audit action" not in page.lower()  # the function's name, as Django shows an undescribed column
    assert f">{header}</a>" in page


def test_given_an_entry_then_its_title_shows_the_carriers_local_time(world):
    entry = AuditEntry.objects.order_by("pk").first()
    assert entry is not None

    assert str(entry).startswith(f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}")


def test_given_the_cancellation_form_then_its_button_says_it_leads_to_a_check_not_a_save(customer_centre, world):
    page = html(customer_centre.get("/staff/orders/cancellation/add/"))

    with translation.override("ja"):
        label = gettext("Check before recording")
    assert f'value="{label}"' in page
    assert 'value="保存"' not in page
