"""Factories and helpers shared by the tests (imported by the root conftest.py)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import factory
import time_machine
from django.core.mail import EmailMessage
from factory.django import DjangoModelFactory

from selfcare.accounts.models import Customer, Plan, User
from selfcare.audit.services import Actor
from selfcare.core import clock
from selfcare.inventory.services import iter_range, numbers_import
from selfcare.orders.models import Cancellation
from selfcare.orders.services import numbers_add, numbers_cancel

TEST_ACTOR = Actor.system("tests")
# The self-care password of the ``login_customer`` fixture (root conftest.py).
CUSTOMER_PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password
TOKYO = ZoneInfo("Asia/Tokyo")


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = "basic"
    name = "ベーシックプラン"
    monthly_fee_per_number = 330


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"cust{n:05d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = "!"  # noqa: S105 - an unusable hash; tests that log in set a real one


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    contract_name = factory.Sequence(lambda n: f"テスト株式会社{n}")
    postal_code = "100-0001"
    address = "東京都千代田区千代田1-1"
    plan = factory.SubFactory(PlanFactory)


def pool_add(first: str, count: int, **kwargs: object) -> list[str]:
    """Import ``count`` consecutive numbers from ``first``; returns them."""
    last = f"{int(first) + count - 1:011d}"
    numbers_import(numbers=iter_range(first, last), actor=TEST_ACTOR, **kwargs)  # type: ignore[arg-type]
    return list(iter_range(first, last))


# The login code stands alone on an indented line of the e-mail (accounts/email/login_code.txt).
_LOGIN_CODE_LINE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


def login_code(mail: EmailMessage | str) -> str:
    """The 6-digit login code in an e-mail: a sent message (the test outbox's) or the text of its body."""
    body = mail if isinstance(mail, str) else str(mail.body)
    match = _LOGIN_CODE_LINE.search(body)
    assert match, body
    return match.group(1)


# The clock and the carrier's calendar -----------------------------------------------------------------


def tokyo_time(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    """This Tokyo wall-clock time on ``day``, as an aware datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TOKYO)


def frozen_at(moment: dt.datetime) -> time_machine.travel:
    """Stand still at ``moment`` (a context manager)."""
    return time_machine.travel(moment, tick=False)


def at_tokyo(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> time_machine.travel:
    """Stand still at this Tokyo wall-clock time (a context manager)."""
    return frozen_at(tokyo_time(day, hour, minute, second))


# Numbers issued and cancelled through the services ------------------------------------------------------


def issue(customer: Customer, count: int = 1, key: str = "issue", actor: Actor = TEST_ACTOR) -> list[str]:
    """An application of ``count`` numbers placed now (idempotency key ``key``); the numbers issued, ascending."""
    placement = numbers_add(customer_id=customer.pk, count=count, idempotency_key=key, actor=actor)
    return sorted(placement.application.lines.values_list("number_id", flat=True))


def issue_at_tokyo(customer: Customer, on: dt.date, count: int = 1, hour: int = 12, minute: int = 0) -> list[str]:
    """An application of ``count`` numbers placed at that Tokyo time; the numbers issued, ascending."""
    with at_tokyo(on, hour, minute):
        return issue(customer, count, key=f"{on}-{hour}-{minute}")


def issue_with_passwords(customer: Customer, actor: Actor, count: int = 1) -> list[tuple[str, str]]:
    """Numbers issued now through the add-numbers service, each with its IP phone password, ascending."""
    placement = numbers_add(customer_id=customer.pk, count=count, idempotency_key=f"k{count}", actor=actor)
    issued = []
    for line in placement.application.lines.order_by("number_id"):
        password = line.sip_password()
        assert password is not None, f"{line.number_id} was issued without an IP phone password"
        issued.append((line.number_id, password))
    return issued


def cancel(
    numbers: list[str], *, effective_on: dt.date, received_on: dt.date | None = None, actor: Actor = TEST_ACTOR
) -> Cancellation:
    """A paper cancellation of ``numbers`` in effect from ``effective_on``, its form received on ``received_on``
    (by default today, by the clock as it stands)."""
    return numbers_cancel(
        numbers=numbers, received_on=received_on or clock.today(), effective_on=effective_on, actor=actor
    )


def cancel_at_tokyo(numbers: list[str], effective_on: dt.date, *, days_notice: int = 0) -> Cancellation:
    """A cancellation in effect from ``effective_on``, its form received and recorded ``days_notice`` days before
    (at noon, Tokyo): the numbers are issuable again six months after ``effective_on``."""
    received_on = effective_on - dt.timedelta(days=days_notice)
    with at_tokyo(received_on):
        return cancel(numbers, effective_on=effective_on, received_on=received_on)


def jobs_run() -> int:
    """Run every background job due now, as ``jobs_worker --until-empty`` does (the periodic ones left out)."""
    from selfcare.jobs.worker import Worker

    return Worker(until_empty=True, schedules=False).run()
