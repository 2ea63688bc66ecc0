"""Staff reissue IP phone passwords only after a confirmation page, one customer's lines at a time (at most 10),
and the customer's registered address is told (never the password)."""

from __future__ import annotations

from selfcare.backoffice.tests.conftest import audit, changelist_action, form_data, html, ja, messages_of
from selfcare.inventory.models import format_number
from selfcare.letters.models import Letter
from selfcare.orders.models import IssuedLine
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, jobs_run

LINES_URL = "/staff/orders/issuedline/"


def _reissue_letters() -> int:
    return Letter.objects.filter(kind=Letter.Kind.SIP_PASSWORD_REISSUE).count()


def test_given_lines_selected_when_the_action_runs_then_a_confirmation_page_and_nothing_is_changed(
    customer_centre, world
):
    lines = list(IssuedLine.objects.filter(customer=world.acme, cancelled_on__isnull=True).order_by("number_id"))
    passwords = [line.sip_password_encrypted for line in lines]

    response = changelist_action(customer_centre, LINES_URL, "reissue_sip_password", [line.pk for line in lines])

    assert response.status_code == 200
    page = html(response)
    for line in lines:
        assert format_number(line.number_id) in page
    assert world.acme.contract_name in page
    assert ja("Reissue the passwords") in page and ja("Cancel") in page
    after = IssuedLine.objects.filter(pk__in=[line.pk for line in lines]).order_by("number_id")
    assert [line.sip_password_encrypted for line in after] == passwords
    assert _reissue_letters() == 0 and not audit("sip_password.reissued").exists()


def test_given_the_confirmation_when_confirmed_then_reissued_and_the_customer_is_emailed_without_the_password(
    customer_centre, world, mailoutbox
):
    line = IssuedLine.objects.filter(customer=world.acme).order_by("number_id").first()
    page = changelist_action(customer_centre, LINES_URL, "reissue_sip_password", [line.pk])

    response = customer_centre.post(LINES_URL, form_data(page, "reissue-form"))

    assert response.status_code == 302
    assert _reissue_letters() == 1 and audit("sip_password.reissued").count() == 1
    line.refresh_from_db()
    assert any(format_number(line.number_id) in m for m in messages_of(customer_centre.get(LINES_URL)))
    jobs_run()
    (mail,) = [m for m in mailoutbox if m.subject == ja("Your IP phone password was reissued")]
    assert mail.to == [world.acme.user.email]
    assert format_number(line.number_id) in mail.body
    assert line.sip_password() not in mail.body and line.sip_password() not in mail.subject


def test_given_lines_of_two_customers_then_refused_one_customer_at_a_time(customer_centre, world):
    ids = list(IssuedLine.objects.filter(cancelled_on__isnull=True).values_list("pk", flat=True))

    changelist_action(customer_centre, LINES_URL, "reissue_sip_password", ids)

    (message,) = messages_of(customer_centre.get(LINES_URL))
    assert world.acme.selfcare_id in message and world.beta.selfcare_id in message
    assert message == ja(
        "The selected lines belong to %(count)d customers (%(customers)s). Reissue one customer's phones at a time: "
        "each customer is told and sets up their own phones again. Nothing was reissued.",
        count=2,
        customers=f"{world.acme.selfcare_id}, {world.beta.selfcare_id}",
    )
    assert _reissue_letters() == 0


def test_given_more_than_ten_lines_then_refused_with_the_limit(customer_centre, world):
    world.acme.addition_limit = 20
    world.acme.save(update_fields=["addition_limit"])
    numbers_add(customer_id=world.acme.pk, count=9, idempotency_key="acme-more", actor=TEST_ACTOR)
    ids = list(IssuedLine.objects.filter(customer=world.acme).values_list("pk", flat=True))
    assert len(ids) == 12

    changelist_action(customer_centre, LINES_URL, "reissue_sip_password", ids)

    (message,) = messages_of(customer_centre.get(LINES_URL))
    assert "10" in message and "12" in message
    assert _reissue_letters() == 0
