from __future__ import annotations

import datetime as dt
import io
import itertools
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from selfcare.accounts.models import User
from selfcare.audit.services import Actor
from selfcare.letters.models import Letter
from selfcare.orders.services import numbers_add
from selfcare.testing import TEST_ACTOR, TOKYO, CustomerFactory

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "letters"
_keys = itertools.count()
# When the letters are posted: some days ahead of the real clock, so the test pool's numbers become issuable today.
POSTED = (dt.datetime.now(TOKYO) + dt.timedelta(days=10)).replace(hour=17, minute=0, second=0, microsecond=0)


def place(customer, count: int) -> Letter:
    """An application of ``count`` numbers for the customer; returns its queued letter."""
    placement = numbers_add(
        customer_id=customer.pk, count=count, idempotency_key=f"key-{next(_keys)}", actor=TEST_ACTOR
    )
    return placement.application.letter


def secrets_of(letter: Letter) -> list[tuple[str, str, str]]:
    """(number, 付加サービスパスワード, IP加入電話パスワード) of each line, decrypted for the test's eyes only."""
    return [
        (line.number_id, line.service_pin() or "", line.sip_password() or "")
        for line in letter.application.lines.order_by("number_id")
    ]


def pdf_text(pdf: bytes) -> list[str]:
    """The text of each page as pdftotext (poppler) extracts it, keeping the layout."""
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    texts = []
    for page in range(1, pages + 1):
        result = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        )
        texts.append(result.stdout.decode())
    return texts


@pytest.fixture
def letter(customer, pool) -> Letter:
    return place(customer, 3)


@pytest.fixture
def staff(db) -> Actor:
    user = User.objects.create_user(username="operator1", password=None, is_staff=True)
    return Actor.staff(user, ip_address="198.51.100.7")


@pytest.fixture
def other_customer(plan):
    return CustomerFactory(plan=plan, postal_code="5300001", address="大阪府大阪市北区梅田1-2-3 梅田ビル10階")
