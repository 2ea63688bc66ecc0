"""The API's request and response bodies (pydantic, through django-ninja): the OpenAPI 3.1 description."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictInt

from selfcare.orders.parsing import count_limits

_MINIMUM, _MAXIMUM = count_limits()


class ApplicationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    count: StrictInt = Field(
        ge=_MINIMUM,
        le=_MAXIMUM,
        description="How many 050 numbers to add in this application (追加番号数).",
        examples=[3],
    )


class NumberCredentials(Schema):
    number: str = Field(description="The 050 number, digits only.", examples=["05012345678"])
    service_password: str | None = Field(
        description="付加サービスパスワード; null once the display window has passed or the number is cancelled."
    )
    sip_password: str | None = Field(
        description="IP加入電話パスワード (the SIP password); null once the display window has passed or the number "
        "is cancelled."
    )


class ApplicationOut(Schema):
    application_number: str = Field(examples=["261124-7KQ3M9XA"])
    placed_at: dt.datetime
    count: int
    monthly_fee_per_number: int = Field(description="Yen per number and month, consumption tax included.")
    passwords_shown_until: dt.datetime = Field(
        description="Until when the passwords are given (SELFCARE_SHOW_PASSWORDS_MINUTES after placement)."
    )
    numbers: list[NumberCredentials]


class ApplicationSummary(Schema):
    application_number: str
    placed_at: dt.datetime
    count: int
    monthly_fee_per_number: int


class ApplicationPage(Schema):
    items: list[ApplicationSummary]
    page: int
    per_page: int
    total: int
    next_page: int | None


class NumberOut(Schema):
    number: str = Field(examples=["05012345678"])
    state: Literal["in_use", "cancellation_pending", "cancelled"] = Field(
        description="in_use; cancellation_pending (a cancellation is recorded and takes effect on cancelled_on); "
        "cancelled (from cancelled_on on)."
    )
    issued_on: dt.date
    cancelled_on: dt.date | None = Field(description="The day the cancellation takes effect, if one is recorded.")
    application_number: str


class NumberPage(Schema):
    items: list[NumberOut]
    page: int
    per_page: int
    total: int
    next_page: int | None


class LimitsOut(Schema):
    addition_limit: int = Field(description="Numbers this contract may add by self-care in total, cancelled included.")
    numbers_added: int
    remaining: int
    max_per_application: int
    contract_status: Literal["active", "suspended"]


class ReissueOut(Schema):
    number: str
    reissued_at: dt.datetime
    sip_password: str | None = Field(
        description="The new IP加入電話パスワード; the old one stopped working at once. Given again to a repeat of "
        "this request (same Idempotency-Key) until passwords_shown_until, then null."
    )
    passwords_shown_until: dt.datetime
    letter_queued: bool = Field(description="A letter with the new password is queued to the contract address.")


class Problem(Schema):
    type: str
    title: str
    status: int
    code: str = Field(description="Stable: limit_reached, pool_short, bad_count, customer_suspended, …")
    detail: str = Field(description="In Japanese or English, by Accept-Language.")
    instance: str
    remaining: int | None = None
    available: int | None = None
    limit: int | None = None
    requested: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    retry_after: int | None = None
