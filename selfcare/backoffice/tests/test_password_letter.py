"""新しい初期パスワードを郵送: the customer centre helps a customer who phoned about a forgotten password."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password

from selfcare.accounts.models import User
from selfcare.backoffice.tests.conftest import audit, changelist_action, form_data, html, ja, messages_of
from selfcare.core import crypto
from selfcare.letters.models import Letter
from selfcare.testing import jobs_run

CUSTOMERS_URL = "/staff/accounts/customer/"


def credentials_letters(customer) -> list[Letter]:
    return list(Letter.objects.filter(customer=customer, kind=Letter.Kind.SELFCARE_CREDENTIALS).order_by("pk"))


def test_the_action_asks_first_and_says_what_it_does(customer_centre, world):
    response = changelist_action(customer_centre, CUSTOMERS_URL, "password_letter", [world.acme.pk])

    assert response.status_code == 200
    page = html(response)
    assert ja("Post a new initial password?") in page and world.acme.contract_name in page
    assert "電話でお伝えすることはありません" in page and ja("Cancel") in page
    assert credentials_letters(world.acme) == [] and not audit("customer.password_letter_queued").exists()


def test_confirmed_it_queues_a_letter_beside_the_current_password_audited_and_the_customer_is_told(
    customer_centre, world, mailoutbox
):
    before = User.objects.get(pk=world.acme.user_id).password
    page = changelist_action(customer_centre, CUSTOMERS_URL, "password_letter", [world.acme.pk])

    response = customer_centre.post(CUSTOMERS_URL, form_data(page, "password-letter-form"))
    jobs_run()

    assert response.status_code == 302
    (letter,) = credentials_letters(world.acme)
    user = User.objects.get(pk=world.acme.user_id)
    assert user.password == before  # the current password keeps working
    assert check_password(crypto.decrypt(letter.secret_encrypted), user.pending_password)
    (entry,) = audit("customer.password_letter_queued", customer=world.acme)
    assert entry.actor_kind == "staff" and entry.detail == {"current_login": "kept", "replaces_pending": False}
    told = [
        message for message in mailoutbox if message.subject == ja("A new self-care password is on its way by post")
    ]
    assert [message.to for message in told] == [[world.acme.user.email]]
    assert crypto.decrypt(letter.secret_encrypted) not in told[0].body
    assert "新しい初期パスワード" in messages_of(customer_centre.get(CUSTOMERS_URL))[0]


def test_a_letter_already_waiting_refuses_it_clearly(customer_centre, world):
    changelist_action(customer_centre, CUSTOMERS_URL, "password_letter", [world.acme.pk], post="yes")
    (first,) = credentials_letters(world.acme)

    confirm = html(changelist_action(customer_centre, CUSTOMERS_URL, "password_letter", [world.acme.pk]))
    changelist_action(customer_centre, CUSTOMERS_URL, "password_letter", [world.acme.pk], post="yes")

    assert (
        ja("Every selected customer already has a self-care ID letter waiting to be posted: nothing will be queued.")
        in confirm
    )
    assert credentials_letters(world.acme) == [first]
    assert messages_of(customer_centre.get(CUSTOMERS_URL)) == [
        ja(
            "Nothing was queued for %(ids)s: a self-care ID letter is already waiting to be posted. Post that one"
            " (it carries the newest password).",
            ids=world.acme.selfcare_id,
        )
    ]


def test_only_staff_who_may_unlock_logins_have_it(sales, customer_centre, world):
    refused = changelist_action(sales, CUSTOMERS_URL, "password_letter", [world.acme.pk], post="yes")

    assert credentials_letters(world.acme) == []
    assert refused.status_code in (200, 302)
    assert "password_letter" in html(customer_centre.get(CUSTOMERS_URL))
    assert "password_letter" not in html(sales.get(CUSTOMERS_URL))
