"""Fixtures for the back-office tests: staff users in each role, past both login steps, and a back office with data.

Staff log in with a password and then a code from an authenticator app (django-otp's TOTP
device). ``make_staff`` logs a user in with ``force_login`` and then passes the second
factor through the real /staff/otp/ page, with the code computed from the device's key,
so every test client is in exactly the state a real staff member's browser would be.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts.models import User
from selfcare.audit.models import AuditEntry
from selfcare.backoffice.roles import ROLES
from selfcare.core import clock, crypto
from selfcare.integrations.keys import api_key_create
from selfcare.integrations.models import WebhookEndpoint
from selfcare.integrations.webhooks import new_secret
from selfcare.letters.models import Letter
from selfcare.letters.services import letters_mark_posted, letters_print
from selfcare.orders.services import numbers_add, numbers_cancel
from selfcare.testing import TEST_ACTOR, CustomerFactory, PlanFactory, UserFactory, frozen_at, pool_add, tokyo_time

STAFF_PASSWORD = "a staff password that is long enough"
OTP_URL = "/staff/otp/"
LOGIN_URL = "/staff/login/"
INDEX_URL = "/staff/"

CUSTOMER_CENTRE = "customer centre"
SALES = "sales"
INVENTORY_MANAGER = "inventory manager"
AUDITOR = "auditor"

WEEKLY_ADDITIONS = [2, 4, 1, 6, 3, 0, 5, 8, 2, 7, 4, 3]  # busy_back_office's, oldest week first, this week last


# Speed and isolation --------------------------------------------------------------------------


@pytest.fixture
def roles(db):
    """The four staff roles as groups, as ``migrate`` (and a flush) leaves them: nothing here makes them."""
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    assert set(groups) == set(ROLES), "migrate did not create the staff roles"
    return groups


# Staff past both login steps ---------------------------------------------------------------------


def totp_token(device: TOTPDevice) -> str:
    """The code the authenticator app shows right now for ``device``."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def wrong_token(device: TOTPDevice) -> str:
    """A six-digit code that is none of the codes the device accepts around now."""
    accepted = {
        f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):0{device.digits}d}"
        for drift in range(-3, 4)
    }
    return next(code for code in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if code not in accepted)


@dataclass
class Staff:
    user: User
    client: Client
    device: TOTPDevice | None

    def get(self, path: str, data: Any = None, **extra: Any):
        return self.client.get(path, data, **extra)

    def post(self, path: str, data: Any = None, **extra: Any):
        return self.client.post(path, data, **extra)


_staff_numbers = itertools.count(1)


def _staff_user(*groups: str, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=f"staff{next(_staff_numbers):04d}",
        email="staff@example.com",
        password=STAFF_PASSWORD,
        is_staff=True,
        is_superuser=superuser,
    )
    found = list(Group.objects.filter(name__in=groups))
    assert len(found) == len(groups), f"missing roles: {groups}"
    user.groups.set(found)
    return user


def pass_second_factor(client: Client, user: User) -> TOTPDevice:
    """Give ``user`` a confirmed authenticator and enter its current code on /staff/otp/."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    response = client.post(OTP_URL, {"token": totp_token(device)})
    assert response.status_code == 302 and response.url == INDEX_URL, response
    return device


@pytest.fixture
def make_staff(roles):
    """make_staff("sales"): a Staff past password and second factor; verified=False stops after the password."""

    def make(*groups: str, superuser: bool = False, verified: bool = True) -> Staff:
        user = _staff_user(*groups, superuser=superuser)
        client = Client()
        client.force_login(user)
        device = pass_second_factor(client, user) if verified else None
        return Staff(user=user, client=client, device=device)

    return make


@pytest.fixture
def customer_centre(make_staff) -> Staff:
    return make_staff(CUSTOMER_CENTRE)


@pytest.fixture
def sales(make_staff) -> Staff:
    return make_staff(SALES)


@pytest.fixture
def inventory_manager(make_staff) -> Staff:
    return make_staff(INVENTORY_MANAGER)


@pytest.fixture
def auditor(make_staff) -> Staff:
    return make_staff(AUDITOR)


@pytest.fixture
def superuser(make_staff) -> Staff:
    return make_staff(superuser=True)


# A back office with data in it ----------------------------------------------------------------------


@pytest.fixture
def world(db, plan):
    """Two customers with numbers, one cancellation, one printed and posted letter, one letter waiting.

    Pool: 05000000000..05000000019 (20 numbers). Acme (ID ``acme-tokyo``) holds 000-002, the
    cancellation of 002 takes effect today (so 002 is in quarantine); Beta holds 003-004.
    """
    premium = PlanFactory(code="premium", name="プレミアムプラン", monthly_fee_per_number=550)
    numbers = pool_add("05000000000", 20)
    acme = CustomerFactory(
        plan=plan,
        user=UserFactory(username="acme-tokyo", email="info@acme-tokyo.example"),
        contract_name="アクメ東京株式会社",
        addition_limit=10,
    )
    beta = CustomerFactory(plan=plan, contract_name="ベータ商事株式会社")
    acme_application = numbers_add(customer_id=acme.pk, count=3, idempotency_key="acme-1", actor=TEST_ACTOR)
    beta_application = numbers_add(customer_id=beta.pk, count=2, idempotency_key="beta-1", actor=TEST_ACTOR)

    cancellation = numbers_cancel(
        customer_id=acme.pk, numbers=["05000000002"], received_on=clock.today(), actor=TEST_ACTOR
    )
    acme_letter = Letter.objects.get(application=acme_application.application)
    beta_letter = Letter.objects.get(application=beta_application.application)
    letters_print(letter_ids=[acme_letter.pk], actor=TEST_ACTOR)
    letters_mark_posted(letter_ids=[acme_letter.pk], actor=TEST_ACTOR)
    # Acme scripts its additions: an API key, and an endpoint for its webhooks (its secret encrypted).
    api_key_create(customer_id=acme.pk, name="発注システム", scopes=["numbers:read"], actor=TEST_ACTOR)
    WebhookEndpoint.objects.create(
        customer=acme,
        url="https://hooks.acme-tokyo.example/050",
        events=["application.completed"],
        secret_encrypted=crypto.encrypt(new_secret()),
        created_at=clock.now(),
    )
    for customer in (acme, beta):
        customer.refresh_from_db()
    return SimpleNamespace(
        plan=plan,
        premium=premium,
        numbers=numbers,
        acme=acme,
        beta=beta,
        acme_application=acme_application.application,
        beta_application=beta_application.application,
        cancellation=cancellation,
        acme_letter=acme_letter,
        beta_letter=beta_letter,
        audit_entry=AuditEntry.objects.order_by("id").first(),
    )


@pytest.fixture
def busy_back_office(live_server, transactional_db, roles, plan):
    """For the browser tests: numbers added in each of the last 12 weeks and cancellations leaving quarantine over
    the coming months, on a live server; returns its URL and the first customer (Acme)."""
    today = clock.today()
    pool_add("05000000000", 300, available_from=today - dt.timedelta(weeks=13))
    customers = [
        CustomerFactory(
            plan=plan,
            user=UserFactory(username="acme-tokyo", email="info@acme-tokyo.example"),
            contract_name="アクメ東京株式会社",
            addition_limit=200,
        ),
        CustomerFactory(plan=plan, contract_name="ベータ商事株式会社", addition_limit=200),
    ]
    this_monday = today - dt.timedelta(days=today.weekday())
    for weeks_ago, count in zip(range(11, -1, -1), WEEKLY_ADDITIONS, strict=True):
        if not count:
            continue
        with frozen_at(tokyo_time(this_monday - dt.timedelta(weeks=weeks_ago), 10)):
            numbers_add(
                customer_id=customers[weeks_ago % 2].pk, count=count, idempotency_key=f"w{weeks_ago}", actor=TEST_ACTOR
            )
    acme_numbers = sorted(customers[0].lines.values_list("number_id", flat=True))
    # Paper cancellations that took effect over the last weeks: their quarantines end over the coming months.
    chunks = (acme_numbers[0:3], acme_numbers[3:4], acme_numbers[4:8], acme_numbers[8:10])
    for days_ago, chunk in zip((60, 40, 20, 5), chunks, strict=True):
        effective = today - dt.timedelta(days=days_ago)
        numbers_cancel(customer_id=customers[0].pk, numbers=chunk, received_on=effective, actor=TEST_ACTOR)
    return live_server.url, customers[0]


# Helpers ------------------------------------------------------------------------------------------


def ja(message: str, context: str | None = None, **params: Any) -> str:
    """``message`` (in ``context``) as the Japanese back office shows it (whatever the catalogue says today)."""
    with translation.override("ja"):
        text = gettext(message) if context is None else pgettext(context, message)
    return text % params if params else text


def ja_html(message: str, **params: Any) -> str:
    return str(escape(ja(message, **params)))


def html(response) -> str:
    return response.content.decode()


def audit(action: str, **filters: Any):
    return AuditEntry.objects.filter(action=action, **filters).order_by("id")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def changelist_action(staff: Staff, url: str, action: str, ids: list[Any], **extra: Any):
    """Run an admin action on the selected rows, the way the changelist's action bar posts it."""
    data = {"action": action, "_selected_action": [str(pk) for pk in ids], "index": "0", **extra}
    return staff.post(url, data)


class _FormReader(HTMLParser):
    """The fields of one <form> as a browser would submit them (without any submit button)."""

    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and (self.form_id is None or a.get("id") == self.form_id):
            self.inside = True
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select, self._select_value, self._first_option = a["name"], None, None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "select" and self._select is not None:
            value = self._select_value if self._select_value is not None else self._first_option
            self.fields.append((self._select, value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_data(response, form_id: str | None = None) -> dict[str, Any]:
    """The form on the page as a dict ready for client.post (repeated names become lists)."""
    reader = _FormReader(form_id)
    reader.feed(html(response))
    data: dict[str, Any] = {}
    for name, value in reader.fields:
        if name in data:
            data[name] = [*data[name], value] if isinstance(data[name], list) else [data[name], value]
        else:
            data[name] = value
    return data


def error_list_text(response) -> str:
    """The text of every ``errorlist``/``errornote`` on the page, tags removed."""
    chunks = re.findall(r'class="(?:errorlist[^"]*|errornote)"[^>]*>(.*?)</(?:ul|p)>', html(response), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", chunk) for chunk in chunks)


def everything_stored() -> str:
    """Every value of every row of every table the project's models use, as one string (for 'never in clear')."""
    from django.apps import apps
    from django.contrib.sessions.models import Session

    parts: list[str] = []
    for model in apps.get_models(include_auto_created=True):
        for row in model._default_manager.all().values_list():
            parts.append(json.dumps(row, default=str, ensure_ascii=False))
    for session in Session.objects.all():
        parts.append(json.dumps(session.get_decoded(), default=str, ensure_ascii=False))
    return "\n".join(parts)
