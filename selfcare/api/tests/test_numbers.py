"""GET /api/v1/numbers and POST /api/v1/numbers/{number}/sip-password (docs/api.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from selfcare.audit.models import AuditEntry
from selfcare.core import clock
from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add, numbers_cancel
from selfcare.testing import TEST_ACTOR, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(customer, pool):
    numbers_add(customer_id=customer.pk, count=3, idempotency_key="t", actor=TEST_ACTOR)
    return sorted(IssuedLine.objects.values_list("number_id", flat=True))


def reissue(client: Client, number: str, key: str = "r-1"):
    return client.post(f"/api/v1/numbers/{number}/sip-password", HTTP_IDEMPOTENCY_KEY=key)


def test_numbers_list_each_state_and_dates(api, customer, held):
    today = clock.today()
    numbers_cancel(numbers=[held[0]], received_on=today, actor=TEST_ACTOR)
    numbers_cancel(numbers=[held[1]], received_on=today, effective_on=today + dt.timedelta(days=10), actor=TEST_ACTOR)

    items = {n["number"]: n for n in api.get("/api/v1/numbers").json()["items"]}

    assert items[held[0]]["state"] == "cancelled" and items[held[0]]["cancelled_on"] == today.isoformat()
    assert items[held[1]]["state"] == "cancellation_pending"
    assert items[held[2]]["state"] == "in_use" and items[held[2]]["cancelled_on"] is None
    assert items[held[2]]["issued_on"] == today.isoformat()


def test_reissue_gives_a_new_password_once_stops_the_old_queues_a_letter_and_audits(api, customer, held):
    line = IssuedLine.objects.get(number_id=held[0])
    old_ha1 = line.sip_ha1

    response = reissue(api, held[0])

    assert response.status_code == 200
    body = response.json()
    line.refresh_from_db()
    assert body["sip_password"] == line.sip_password() and line.sip_ha1 != old_ha1
    assert Letter.objects.filter(kind=Letter.Kind.SIP_PASSWORD_REISSUE, line=line).count() == 1
    entry = AuditEntry.objects.get(action="sip_password.reissued")
    assert entry.actor_label.startswith(customer.selfcare_id + " (sk_")
    assert body["sip_password"] not in str(entry.detail)


def test_a_repeated_reissue_gives_the_same_password_and_reissues_nothing_more(api, held, time_machine, settings):
    time_machine.move_to(timezone.now(), tick=False)
    first = reissue(api, held[0]).json()

    again = reissue(api, held[0]).json()
    assert again == first
    assert Letter.objects.filter(kind=Letter.Kind.SIP_PASSWORD_REISSUE).count() == 1

    time_machine.shift(dt.timedelta(minutes=settings.SELFCARE_SHOW_PASSWORDS_MINUTES + 1))
    late = reissue(api, held[0]).json()
    assert late["sip_password"] is None and late["reissued_at"] == first["reissued_at"]


def test_reissue_of_a_number_not_held_is_404_and_of_a_cancelled_one_409(api, held, plan, pool):
    other = CustomerFactory(plan=plan)
    numbers_add(customer_id=other.pk, count=1, idempotency_key="o", actor=TEST_ACTOR)
    theirs = IssuedLine.objects.get(customer=other).number_id
    numbers_cancel(numbers=[held[0]], received_on=clock.today(), actor=TEST_ACTOR)

    assert reissue(api, theirs).json()["code"] == "number_not_found"
    assert reissue(api, "05099999999", key="r-2").status_code == 404
    gone = reissue(api, held[0], key="r-3")
    assert gone.status_code == 409 and gone.json()["code"] == "line_not_live"
    assert reissue(api, "0501", key="r-4").status_code == 422
