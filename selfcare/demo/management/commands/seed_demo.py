from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts.models import Customer, Plan, User
from selfcare.accounts.services import (
    ENROLMENT_CODE_VALID,
    customer_create,
    customer_reset_password,
    generate_password,
    staff_enrolment_code_issue,
)
from selfcare.audit.services import Actor
from selfcare.core import clock
from selfcare.inventory.models import IssueCount, PhoneNumber
from selfcare.inventory.services import iter_range, numbers_import
from selfcare.orders.models import Application, IssuedLine
from selfcare.orders.services import numbers_add, numbers_cancel

DEMO_ID = "demo0001"
STAFF_ID = "staff"
FORMER_ID = "former0001"
FRESH_FIRST, FRESH_LAST = "05010000000", "05010002999"
RECYCLED_FIRST, RECYCLED_LAST = "05099990000", "05099990039"


class Command(BaseCommand):
    help = (
        "Load demo data: plans, a demo customer (its password is reset and printed on every run), "
        "3,000 fresh numbers and 40 recycled ones, half still in quarantine. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("seed_demo")
        Plan.objects.get_or_create(code="basic", defaults={"name": "ベーシックプラン", "monthly_fee_per_number": 330})
        Plan.objects.get_or_create(code="business", defaults={"name": "ビジネスプラン", "monthly_fee_per_number": 275})
        self._seed_recycled(actor)
        result = numbers_import(numbers=iter_range(FRESH_FIRST, FRESH_LAST), actor=actor, source="seed_demo")

        demo = Customer.objects.filter(user__username=DEMO_ID).first()
        if demo is None:
            demo = customer_create(
                selfcare_id=DEMO_ID,
                email="demo@example.com",
                contract_name="デモ商事株式会社",
                plan_code="basic",
                postal_code="100-0005",
                address="東京都千代田区丸の内1-1-1 デモビル5F",
                actor=actor,
            ).customer
        password = customer_reset_password(customer_id=demo.pk, actor=actor)
        # The demo is tried in one go with the printed password: unlike a real reset, it need not be
        # changed at the first login (the forgotten-password path and staff resets still show that step).
        User.objects.filter(pk=demo.user_id).update(password_change_required=False)
        free = PhoneNumber.objects.issuable().count()
        waiting = PhoneNumber.objects.in_quarantine().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {free} numbers issuable now, {waiting} in quarantine ({result.added} new)."
            )
        )
        self.stdout.write(f"Demo login  セルフケアID: {DEMO_ID}  セルフケアパスワード: {password}")
        self.stdout.write("The login code is e-mailed to demo@example.com (printed on this console without SMTP).")
        staff_password, enrolment_code = self._seed_staff(actor)
        if enrolment_code is not None:
            hours = f"{ENROLMENT_CODE_VALID.total_seconds() / 3600:g}"
            self.stdout.write(
                f"Staff site  /staff/  user: {STAFF_ID}  password: {staff_password}  enrolment code: {enrolment_code}  "
                f"(asked for at the first login, before the authenticator app's QR code; single use, {hours} hours)"
            )
        else:
            self.stdout.write(
                f"Staff site  /staff/  user: {STAFF_ID}  password: {staff_password}  (the authenticator app "
                f"enrolled earlier stays; `manage.py staff_enrolment_code {STAFF_ID} --reset` to enrol another)"
            )

    def _seed_staff(self, actor: Actor) -> tuple[str, str | None]:
        """A demo superuser for the staff site; its password is new on every run, and so is its enrolment code
        until an authenticator app is enrolled."""
        user = User.objects.filter(username=STAFF_ID).first()
        if user is None:
            user = User.objects.create_superuser(username=STAFF_ID, email="staff@example.com", password=None)
        password = generate_password(20)
        user.set_password(password)
        user.save(update_fields=["password"])
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return password, None
        return password, staff_enrolment_code_issue(username=STAFF_ID, actor=actor).code

    def _seed_recycled(self, actor: Actor) -> None:
        """A former customer whose numbers were cancelled 8 and 2 months ago: half out of quarantine, half not."""
        if Customer.objects.filter(user__username=FORMER_ID).exists():
            return
        today = clock.today()
        long_ago = clock.add_months(today, -30)
        numbers_import(numbers=iter_range(RECYCLED_FIRST, RECYCLED_LAST), available_from=long_ago, actor=actor)
        former = customer_create(
            selfcare_id=FORMER_ID,
            email="former@example.com",
            contract_name="旧契約テスト株式会社",
            plan_code="business",
            addition_limit=40,
            actor=actor,
        ).customer
        placement = numbers_add(customer_id=former.pk, count=40, idempotency_key="seed-demo-history", actor=actor)
        issued = dt.datetime.combine(clock.add_months(today, -24), dt.time(10), tzinfo=dt.UTC)
        with transaction.atomic():
            # Demo history only: these lines were issued two years ago.
            # Its number tells the day it was placed, as every application number does.
            suffix = placement.application.application_number.partition("-")[2]
            Application.objects.filter(pk=placement.application.pk).update(
                placed_at=issued, application_number=f"{timezone.localtime(issued):%y%m%d}-{suffix}"
            )
            IssuedLine.objects.filter(application=placement.application).update(issued_at=issued)
            # The numbers issued by day move with them (the dashboard's numbers added by week).
            IssueCount.objects.bulk_create(
                [IssueCount(day=today, numbers=-40), IssueCount(day=timezone.localdate(issued), numbers=40)]
            )
        numbers = list(iter_range(RECYCLED_FIRST, RECYCLED_LAST))
        for chunk, months_ago in ((numbers[:20], 8), (numbers[20:], 2)):
            day = clock.add_months(today, -months_ago)
            numbers_cancel(numbers=chunk, received_on=day, effective_on=day, actor=actor, note="demo history")
