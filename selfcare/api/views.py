"""The business API's operations: parse, call the same services and selectors as the portal, render.

No rule lives here: the count, the limit, the pool, the display window of passwords and who holds
which number are the services' and selectors' (docs/api.md).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Path, Query, Router, Schema, Status
from pydantic import Field

from selfcare.api.auth import ApiKeyAuth, client_ip
from selfcare.api.errors import ApplicationNotFound, NumberNotFound
from selfcare.api.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationPage,
    ApplicationSummary,
    LimitsOut,
    NumberCredentials,
    NumberOut,
    NumberPage,
    Problem,
    ReissueOut,
)
from selfcare.idempotency.services import MAX_KEY, fingerprint, request_once
from selfcare.integrations.keys import KeyUse
from selfcare.integrations.models import SCOPE_ADD, SCOPE_READ, SCOPE_REISSUE
from selfcare.orders import selectors as order_selectors
from selfcare.orders.parsing import count_limits
from selfcare.orders.services import numbers_add, sip_password_reissue_shown

router = Router()

APPLICATION_NUMBER = r"^[0-9]{6}-[0-9A-Z]{8}$"
NUMBER = r"^050[0-9]{8}$"
PER_PAGE_MAX = 100

IdempotencyKey = Header(
    ...,
    alias="Idempotency-Key",
    min_length=1,
    max_length=MAX_KEY,
    pattern=r"^[\x21-\x7e]+$",
    description="Your key for this request (a UUID, say): a repeat with the same key and body gets the first "
    "answer and is never carried out twice; kept at least 24 hours.",
)

COMMON_ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 422: Problem, 429: Problem, 503: Problem}


def _use(request: HttpRequest) -> KeyUse:
    use = request.auth  # type: ignore[attr-defined]
    assert isinstance(use, KeyUse)
    return use


class Paging(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    per_page: int = Field(50, ge=1, le=PER_PAGE_MAX, description="Items per page, at most 100.")


def _page(items: Any, paging: Paging) -> tuple[list[Any], dict[str, Any]]:
    paginator = Paginator(items, paging.per_page)
    total = paginator.count
    last = max(math.ceil(total / paging.per_page), 1)
    page = paginator.page(paging.page) if paging.page <= last else None
    rows = list(page.object_list) if page is not None else []
    return rows, {
        "page": paging.page,
        "per_page": paging.per_page,
        "total": total,
        "next_page": paging.page + 1 if paging.page < last else None,
    }


# Applications ------------------------------------------------------------------------------------


def application_body(*, customer_id: int, application_number: str, with_passwords: bool) -> dict[str, Any]:
    """An application as GET and the POST (and its repeats) answer it: passwords only within the window, and
    only for a key that may add numbers (a read-only key never reads a credential)."""
    shown = order_selectors.application_of_customer(customer_id=customer_id, application_number=application_number)
    if shown is None:
        raise ApplicationNotFound()
    application = shown.application
    return {
        "application_number": application.application_number,
        "placed_at": application.placed_at,
        "count": application.count,
        "monthly_fee_per_number": application.monthly_fee_per_number,
        "passwords_shown_until": order_selectors.password_window_end(since=application.placed_at),
        "numbers": [
            NumberCredentials(
                number=line.number.replace("-", ""),
                service_password=line.service_pin if with_passwords else None,
                sip_password=line.sip_password if with_passwords else None,
            )
            for line in shown.lines
        ],
    }


@router.post(
    "/applications",
    auth=ApiKeyAuth(SCOPE_ADD),
    response={201: ApplicationOut, 409: Problem, **COMMON_ERRORS},
    summary="Add 050 numbers (one application, all or nothing)",
    operation_id="applications_create",
    openapi_extra={
        "responses": {
            201: {
                "links": {
                    "GetApplication": {
                        "operationId": "applications_get",
                        "parameters": {"application_number": "$response.body#/application_number"},
                    },
                    "ReissueFirstNumber": {
                        "operationId": "numbers_sip_password_reissue",
                        "parameters": {"number": "$response.body#/numbers/0/number"},
                    },
                }
            }
        }
    },
)
def applications_create(request: HttpRequest, body: ApplicationIn, idempotency_key: str = IdempotencyKey) -> Status:
    """Place one application of `count` numbers under the contract's plan, with both passwords of each number.

    The same rules as the portal's 050番号追加申込: 1 to the most per application, within the
    contract's remaining additions, all numbers or none. A repeat with the same `Idempotency-Key`
    gets the first answer (passwords only until `passwords_shown_until`); a letter with the
    passwords goes to the contract address either way.
    """
    use = _use(request)
    customer_id = use.customer.pk

    def place() -> tuple[int, dict[str, Any]]:
        placement = numbers_add(
            customer_id=customer_id,
            count=body.count,
            idempotency_key=idempotency_key,
            actor=use.actor(client_ip(request)),
        )
        return 201, {"application_number": placement.application.application_number}

    answer = request_once(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=fingerprint("POST /api/v1/applications", count=body.count),
        work=place,
    )
    return Status(
        answer.status,
        application_body(
            customer_id=customer_id, application_number=answer.body["application_number"], with_passwords=True
        ),
    )


@router.get(
    "/applications",
    auth=ApiKeyAuth(SCOPE_READ),
    response={200: ApplicationPage, **COMMON_ERRORS},
    summary="The contract's applications, latest first",
    operation_id="applications_list",
)
def applications_list(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    applications = order_selectors.applications_of_customer(customer_id=_use(request).customer.pk)
    rows, meta = _page(applications, paging)
    return {
        "items": [
            ApplicationSummary(
                application_number=a.application_number,
                placed_at=a.placed_at,
                count=a.count,
                monthly_fee_per_number=a.monthly_fee_per_number,
            )
            for a in rows
        ],
        **meta,
    }


@router.get(
    "/applications/{application_number}",
    auth=ApiKeyAuth(SCOPE_READ),
    response={200: ApplicationOut, 404: Problem, **COMMON_ERRORS},
    summary="One application, with its numbers (and their passwords within the display window)",
    operation_id="applications_get",
)
def applications_get(
    request: HttpRequest,
    application_number: str = Path(..., pattern=APPLICATION_NUMBER, examples=["261124-7KQ3M9XA"]),
) -> dict[str, Any]:
    use = _use(request)
    return application_body(
        customer_id=use.customer.pk,
        application_number=application_number,
        with_passwords=SCOPE_ADD in use.api_key.scopes,
    )


# Numbers and limits ------------------------------------------------------------------------------


def _number_out(line: Any, today: dt.date) -> NumberOut:
    status = order_selectors.LineStatus(cancelled_on=line.cancelled_on, today=today)
    state = "cancelled" if status.cancelled else "cancellation_pending" if status.cancelling else "in_use"
    return NumberOut(
        number=line.number_id,
        state=state,  # type: ignore[arg-type]
        issued_on=timezone.localdate(line.issued_at),
        cancelled_on=line.cancelled_on,
        application_number=line.application.application_number,
    )


@router.get(
    "/numbers",
    auth=ApiKeyAuth(SCOPE_READ),
    response={200: NumberPage, **COMMON_ERRORS},
    summary="Every number the contract holds or held, by number, with its state and dates",
    operation_id="numbers_list",
)
def numbers_list(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    lines = order_selectors.lines_of_customer(customer_id=_use(request).customer.pk)
    rows, meta = _page(lines, paging)
    today = timezone.localdate()
    return {"items": [_number_out(line, today) for line in rows], **meta}


@router.get(
    "/limits",
    auth=ApiKeyAuth(SCOPE_READ),
    response={200: LimitsOut, **COMMON_ERRORS},
    summary="How many numbers the contract may still add",
    operation_id="limits_get",
)
def limits_get(request: HttpRequest) -> dict[str, Any]:
    customer = _use(request).customer
    customer.refresh_from_db(fields=["addition_limit", "numbers_added", "status"])
    return {
        "addition_limit": customer.addition_limit,
        "numbers_added": customer.numbers_added,
        "remaining": customer.remaining_additions,
        "max_per_application": count_limits()[1],
        "contract_status": customer.status,
    }


@router.post(
    "/numbers/{number}/sip-password",
    auth=ApiKeyAuth(SCOPE_REISSUE),
    response={200: ReissueOut, 404: Problem, 409: Problem, **COMMON_ERRORS},
    summary="Reissue a number's IP phone password (the old one stops at once)",
    operation_id="numbers_sip_password_reissue",
)
def numbers_sip_password_reissue(
    request: HttpRequest,
    number: str = Path(..., pattern=NUMBER, examples=["05012345678"]),
    idempotency_key: str = IdempotencyKey,
) -> Status:
    """A new IP加入電話パスワード for a number the contract holds, returned once; the registrar refuses the old
    one from this moment, and a letter with the new one is queued to the contract address."""
    use = _use(request)
    customer_id = use.customer.pk
    first: dict[str, str] = {}

    def reissue() -> tuple[int, dict[str, Any]]:
        line = order_selectors.line_of_customer(customer_id=customer_id, number=number)
        if line is None:
            raise NumberNotFound()
        done = sip_password_reissue_shown(line_id=line.pk, customer_id=customer_id, actor=use.actor(client_ip(request)))
        first["password"] = done.password
        return 200, {"number": done.number, "reissued_at": done.reissued_at.isoformat()}

    answer = request_once(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=fingerprint("POST /api/v1/numbers/{number}/sip-password", number=number),
        work=reissue,
    )
    reissued_at = dt.datetime.fromisoformat(answer.body["reissued_at"])
    return Status(
        answer.status,
        {
            "number": answer.body["number"],
            "reissued_at": reissued_at,
            "sip_password": first["password"]
            if not answer.replayed
            else order_selectors.reissued_password_shown(
                customer_id=customer_id, number=number, reissued_at=reissued_at
            ),
            "passwords_shown_until": order_selectors.password_window_end(since=reissued_at),
            "letter_queued": True,
        },
    )
