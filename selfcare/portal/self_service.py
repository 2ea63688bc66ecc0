"""Self-service behind the login: API keys, webhook endpoints, reissuing an IP phone password, the numbers as CSV.

Each sensitive change (a key, a webhook's signing secret, a new password) waits in the session until
the customer enters a fresh code e-mailed for it (``accounts.fresh_code``); it is then carried out
through ``idempotency.request_once`` with the pending token as its key (the same mechanism as 実行
and the API), so a double click does it once, and shows its one-time secret once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from selfcare.accounts.fresh_code import fresh_code_check, fresh_code_send
from selfcare.accounts.login import CODE_MAX_FAILURES, CODE_VALID
from selfcare.accounts.login_errors import CodeNoLongerValid, CodeResendTooSoon
from selfcare.accounts.models import Customer
from selfcare.audit.services import Actor
from selfcare.core import clock
from selfcare.core.csv_cells import csv_writer
from selfcare.core.errors import DomainError
from selfcare.idempotency.errors import RequestInFlight
from selfcare.idempotency.services import Answer, fingerprint, request_once
from selfcare.integrations import selectors as integration_selectors
from selfcare.integrations.errors import WebhookEndpointNotFound
from selfcare.integrations.keys import api_key_create, api_key_revoke
from selfcare.integrations.models import EVENTS, SCOPES
from selfcare.integrations.outbound import target_check
from selfcare.integrations.webhooks import webhook_endpoint_create, webhook_endpoint_remove, webhook_secret_rotate
from selfcare.inventory.models import format_number
from selfcare.orders import selectors as order_selectors
from selfcare.orders.services import sip_password_reissue_shown
from selfcare.portal.self_service_forms import ApiKeyForm, ConfirmCodeForm, WebhookForm
from selfcare.portal.views import client_ip, customer_required, no_store


class CodeSentForAnother(DomainError):
    code = "code_sent_for_another"
    message = gettext_lazy(
        "A code for another request was e-mailed less than a minute ago (it can still be entered on that request's"
        " confirmation page), so none has been sent for this one yet. Press Send again in %(seconds)d seconds"
        " to receive a code for this request."
    )


PENDING = "selfcare_pending"
MAX_PENDING = 3
PAGE_NOTICE = "selfcare_page_notice"


def _actor(request: HttpRequest, customer: Customer) -> Actor:
    return Actor.customer(customer, client_ip(request))


# A notice for the next page: bound to that page, so no other page ever shows it ---------------------


def _notice_for(request: HttpRequest, page: str, text: str) -> None:
    request.session[PAGE_NOTICE] = {"page": page, "text": text}


def _notice_take(request: HttpRequest, page: str) -> str | None:
    """The notice left for ``page``; a notice left for another page is dropped, never shown here."""
    stored = request.session.pop(PAGE_NOTICE, None)
    if isinstance(stored, dict) and stored.get("page") == page:
        return str(stored.get("text", ""))
    return None


# What waits for a fresh code -----------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    what: Callable[[dict[str, Any]], str]
    """The change in words, for the e-mail and the confirmation page."""
    perform: Callable[[HttpRequest, Customer, dict[str, Any], dict[str, Any]], tuple[int, dict[str, Any]]]
    """Carries the change out; puts its one-time secret into the last dict (never into the stored answer)."""
    template: str
    back: str


def _key_create(
    request: HttpRequest, customer: Customer, data: dict[str, Any], shown: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    made = api_key_create(
        customer_id=customer.pk,
        name=data["name"],
        scopes=data["scopes"],
        expires_days=data["expires_days"],
        allowed_networks=data["networks"],
        actor=_actor(request, customer),
    )
    shown["secret"] = made.key
    return 201, {"prefix": made.api_key.prefix, "name": made.api_key.name}


def _webhook_register(
    request: HttpRequest, customer: Customer, data: dict[str, Any], shown: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    made = webhook_endpoint_create(
        customer_id=customer.pk,
        url=data["url"],
        description=data["description"],
        events=data["events"],
        actor=_actor(request, customer),
    )
    shown["secret"] = made.secret
    return 201, {"endpoint_id": made.endpoint.pk, "url": made.endpoint.url}


def _webhook_rotate(
    request: HttpRequest, customer: Customer, data: dict[str, Any], shown: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    shown["secret"] = webhook_secret_rotate(
        customer_id=customer.pk, endpoint_id=data["endpoint_id"], actor=_actor(request, customer)
    )
    return 200, {"endpoint_id": data["endpoint_id"], "url": data["url"]}


def _reissue(
    request: HttpRequest, customer: Customer, data: dict[str, Any], shown: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    line = order_selectors.line_of_customer(customer_id=customer.pk, number=data["number"])
    if line is None:
        raise Http404
    done = sip_password_reissue_shown(line_id=line.pk, customer_id=customer.pk, actor=_actor(request, customer))
    shown["secret"] = done.password
    return 200, {"number": done.number, "reissued_at": done.reissued_at.isoformat()}


ACTIONS: dict[str, Action] = {
    "api_key.create": Action(
        what=lambda d: _("a new API key '%(name)s'") % {"name": d["name"]},
        perform=_key_create,
        template="portal/api_key_made.html",
        back="portal:api_keys",
    ),
    "webhook.register": Action(
        what=lambda d: _("a webhook endpoint for %(url)s") % {"url": d["url"]},
        perform=_webhook_register,
        template="portal/webhook_secret.html",
        back="portal:webhooks",
    ),
    "webhook.rotate": Action(
        what=lambda d: _("a new signing secret for the webhook endpoint %(url)s") % {"url": d["url"]},
        perform=_webhook_rotate,
        template="portal/webhook_secret.html",
        back="portal:webhooks",
    ),
    "sip_password.reissue": Action(
        what=lambda d: _("a new IP phone password for %(number)s") % {"number": format_number(d["number"])},
        perform=_reissue,
        template="portal/sip_password_reissued.html",
        back="portal:numbers",
    ),
}


def _pending_start(request: HttpRequest, customer: Customer, purpose: str, data: dict[str, Any]) -> HttpResponse:
    """E-mail a fresh code for this change and open its confirmation page.

    Raises the refusal when no code was sent (too soon, too many, mail down): the calling page shows
    it itself, where the customer pressed 送信, with what they typed kept.
    """
    action = ACTIONS[purpose]
    try:
        code = fresh_code_send(
            customer=customer, purpose=purpose, what=action.what(data), actor=_actor(request, customer)
        )
    except CodeResendTooSoon as too_soon:
        # The customer asked for no new code: they pressed 送信 again within a minute of the last code.
        earlier = _pending_open(request, purpose, data)
        if earlier is None:
            raise CodeSentForAnother(**too_soon.params) from None
        token, pending = earlier
        sent = timezone.localtime(dt.datetime.fromisoformat(pending["code"]["sent_at"]))
        pending["said"] = {
            "text": _("The code e-mailed at %(sent)s for this request is still valid: please enter it below.")
            % {"sent": sent.strftime("%H:%M")},
            "error": False,
        }
        _pending_save(request, token, pending)
        return redirect("portal:confirm", token=token)
    token = secrets.token_urlsafe(24)
    pending = dict(request.session.get(PENDING, {}))
    pending[token] = {"purpose": purpose, "data": data, "code": code}
    request.session[PENDING] = dict(list(pending.items())[-MAX_PENDING:])
    return redirect("portal:confirm", token=token)


@sensitive_post_parameters("code")
@customer_required
@require_http_methods(["GET", "POST"])
def confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    pending = request.session.get(PENDING, {}).get(token)
    if pending is None or pending.get("purpose") not in ACTIONS:
        # Said here, on the page the customer opened (a notice kept for later would turn up elsewhere).
        return render(request, "portal/confirm_gone.html", {"customer": customer}, status=410)
    purpose, data, code = pending["purpose"], pending["data"], pending["code"]
    action = ACTIONS[purpose]
    form = ConfirmCodeForm(request.POST or None)
    said = pending.pop("said", None) if request.method == "GET" else None
    if said is not None:
        _pending_save(request, token, pending)
    notice = said["text"] if said and not said.get("error") else None
    error = said["text"] if said and said.get("error") else None
    if request.method == "POST" and form.is_valid():
        try:
            if not code.get("used"):
                try:
                    fresh_code_check(
                        customer=customer,
                        state=code,
                        purpose=purpose,
                        typed=form.cleaned_data["code"],
                        actor=_actor(request, customer),
                    )
                finally:
                    _pending_save(request, token, pending)
            return _carry_out(request, customer, token, action, purpose, data)
        except DomainError as refusal:
            error = str(refusal)
    context = {
        "customer": customer,
        "what": action.what(data),
        "form": form,
        "error": error,
        "notice": notice,
        "token": token,
        "until": dt.datetime.fromisoformat(code["expires_at"]),
        "minutes": int(CODE_VALID.total_seconds() // 60),
        "back": action.back,
    }
    return render(request, "portal/confirm.html", context)


def _pending_open(request: HttpRequest, purpose: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The newest confirmation of this same request in the session whose code may still be entered."""
    now = clock.now()
    for token, pending in reversed(list(request.session.get(PENDING, {}).items())):
        code = pending.get("code") or {}
        if (
            pending.get("purpose") == purpose
            and pending.get("data") == data
            and not code.get("used")
            and code.get("failures", 0) < CODE_MAX_FAILURES
            and "sent_at" in code
            and now <= dt.datetime.fromisoformat(code["expires_at"])
        ):
            return token, dict(pending)
    return None


def _pending_save(request: HttpRequest, token: str, pending: dict[str, Any]) -> None:
    stored = dict(request.session.get(PENDING, {}))
    stored[token] = pending
    request.session[PENDING] = stored


def _carry_out(
    request: HttpRequest, customer: Customer, token: str, action: Action, purpose: str, data: dict[str, Any]
) -> HttpResponse:
    shown: dict[str, Any] = {}
    try:
        answer: Answer = request_once(
            customer_id=customer.pk,
            key=token,
            fingerprint=fingerprint(f"portal {purpose}", **data),
            work=lambda: action.perform(request, customer, data, shown),
        )
    except RequestInFlight:
        raise CodeNoLongerValid() from None
    secret = shown.get("secret")
    if answer.replayed and purpose == "sip_password.reissue":
        secret = order_selectors.reissued_password_shown(
            customer_id=customer.pk,
            number=answer.body["number"],
            reissued_at=dt.datetime.fromisoformat(answer.body["reissued_at"]),
        )
    context = {
        "customer": customer,
        "body": answer.body,
        "secret": secret,
        "replayed": answer.replayed and secret is None,
        "number": format_number(answer.body["number"]) if "number" in answer.body else "",
        "window": order_selectors.password_window_end(since=clock.now()),
    }
    return no_store(render(request, action.template, context, status=200))


@customer_required
@require_POST
def confirm_resend_view(request: HttpRequest, token: str) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    pending = request.session.get(PENDING, {}).get(token)
    if pending is None or pending.get("purpose") not in ACTIONS or pending["code"].get("used"):
        return redirect("portal:confirm", token=token)  # that page says the confirmation is gone, or shows its result
    action = ACTIONS[pending["purpose"]]
    try:
        pending["code"] = fresh_code_send(
            customer=customer,
            purpose=pending["purpose"],
            what=action.what(pending["data"]),
            actor=_actor(request, customer),
        )
    except DomainError as refusal:
        pending["said"] = {"text": str(refusal), "error": True}
    else:
        pending["said"] = {"text": _("A new code has been sent. Earlier codes no longer work."), "error": False}
    # The outcome is kept with this confirmation, so only its own page shows it.
    _pending_save(request, token, pending)
    return redirect("portal:confirm", token=token)


# API keys -------------------------------------------------------------------------------------------


@customer_required
@require_http_methods(["GET", "POST"])
def api_keys_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {
            "name": form.cleaned_data["name"].strip(),
            "scopes": form.cleaned_data["scopes"],
            "expires_days": form.cleaned_data["expires_days"],
            "networks": form.cleaned_data["allowed_networks"],
        }
        try:
            return _pending_start(request, customer, "api_key.create", data)
        except DomainError as refusal:  # no code was sent: said above the form, what was typed kept
            form.add_error(None, str(refusal))
    keys = integration_selectors.api_keys_of_customer(customer_id=customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "keys": keys,
        "scopes": SCOPES,
        "now": timezone.now(),
        "notice": _notice_take(request, "portal:api_keys"),
    }
    return render(request, "portal/api_keys.html", context)


@customer_required
@require_http_methods(["GET", "POST"])
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    """GET asks (what stops working, or cancel); only the POST of that question revokes."""
    customer: Customer = request.customer  # type: ignore[attr-defined]
    api_key = integration_selectors.api_keys_of_customer(customer_id=customer.pk).filter(pk=key_id).first()
    if api_key is None:
        raise Http404
    if api_key.revoked_at is not None:
        return redirect("portal:api_keys")
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            revoked = api_key_revoke(key_id=key_id, customer_id=customer.pk, actor=_actor(request, customer))
        except DomainError:
            raise Http404 from None
        _notice_for(
            request,
            "portal:api_keys",
            _("The API key %(prefix)s was revoked. It no longer works.") % {"prefix": revoked.prefix},
        )
        return redirect("portal:api_keys")
    return render(request, "portal/api_key_revoke.html", {"customer": customer, "api_key": api_key})


# Webhooks -------------------------------------------------------------------------------------------


@customer_required
@require_http_methods(["GET", "POST"])
def webhooks_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        url = form.cleaned_data["url"].strip()
        try:
            target_check(url)
        except DomainError as refusal:
            form.add_error("url", str(refusal))
        else:
            data = {"url": url, "description": form.cleaned_data["description"], "events": form.cleaned_data["events"]}
            try:
                return _pending_start(request, customer, "webhook.register", data)
            except DomainError as refusal:  # no code was sent: said above the form, what was typed kept
                form.add_error(None, str(refusal))
    endpoints = integration_selectors.webhook_endpoints_of_customer(customer_id=customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "endpoints": endpoints,
        "events": EVENTS,
        "limit": settings.SELFCARE_WEBHOOK_ENDPOINTS_PER_CUSTOMER,
        "in_use": sum(1 for endpoint in endpoints if endpoint.disabled_at is None),
        "notice": _notice_take(request, "portal:webhooks"),
    }
    return render(request, "portal/webhooks.html", context)


def _endpoint(customer: Customer, endpoint_id: int) -> Any:
    endpoint = integration_selectors.webhook_endpoint_of_customer(customer_id=customer.pk, endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404
    return endpoint


def _webhook_page(request: HttpRequest, customer: Customer, endpoint: Any, error: str | None = None) -> HttpResponse:
    context = {
        "customer": customer,
        "endpoint": endpoint,
        "events": EVENTS,
        "deliveries": integration_selectors.deliveries_of_endpoint(endpoint=endpoint),
        "error": error,
    }
    return render(request, "portal/webhook.html", context)


@customer_required
def webhook_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    return _webhook_page(request, customer, _endpoint(customer, endpoint_id))


@customer_required
@require_http_methods(["GET", "POST"])
def webhook_remove_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """GET asks (what stops, or cancel); only the POST of that question removes the endpoint."""
    customer: Customer = request.customer  # type: ignore[attr-defined]
    endpoint = _endpoint(customer, endpoint_id)
    if endpoint.disabled_at is not None:
        return redirect("portal:webhook", endpoint_id=endpoint.pk)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        with contextlib.suppress(WebhookEndpointNotFound):  # removed already
            webhook_endpoint_remove(customer_id=customer.pk, endpoint_id=endpoint.pk, actor=_actor(request, customer))
        _notice_for(request, "portal:webhooks", _("Nothing more will be sent to %(url)s.") % {"url": endpoint.url})
        return redirect("portal:webhooks")
    return render(request, "portal/webhook_remove.html", {"customer": customer, "endpoint": endpoint})


@customer_required
@require_POST
def webhook_rotate_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    endpoint = _endpoint(customer, endpoint_id)
    if endpoint.disabled_at is not None:
        raise Http404
    try:
        return _pending_start(request, customer, "webhook.rotate", {"endpoint_id": endpoint.pk, "url": endpoint.url})
    except DomainError as refusal:  # no code was sent: said on the endpoint's page, where 再発行 was pressed
        return _webhook_page(request, customer, endpoint, error=str(refusal))


# The IP phone password, and the numbers as CSV -----------------------------------------------------------


@customer_required
@require_http_methods(["GET", "POST"])
def sip_password_view(request: HttpRequest, number: str) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    line = order_selectors.line_of_customer(customer_id=customer.pk, number=number)
    if line is None:
        raise Http404
    status = order_selectors.LineStatus(cancelled_on=line.cancelled_on, today=clock.today())
    error = None
    if request.method == "POST" and not status.cancelled:
        try:
            return _pending_start(request, customer, "sip_password.reissue", {"number": line.number_id})
        except DomainError as refusal:  # no code was sent: said here, where 送信 was pressed
            error = str(refusal)
    context = {"customer": customer, "number": format_number(line.number_id), "status": status, "error": error}
    return render(request, "portal/sip_password.html", context)


CSV_HEADER = [
    gettext_lazy("IP phone number (050 number)"),
    gettext_lazy("Status"),
    gettext_lazy("Issued"),
    gettext_lazy("Cancellation takes effect"),
    gettext_lazy("Application number"),
]


@customer_required
def numbers_csv_view(request: HttpRequest) -> HttpResponse:
    """番号一覧 as a CSV that Excel opens (UTF-8 with a byte-order mark); no cell is ever a formula."""
    customer: Customer = request.customer  # type: ignore[attr-defined]
    lines = order_selectors.lines_of_customer(customer_id=customer.pk)

    class Echo:
        def write(self, text: str) -> str:
            return text

    def state(row: order_selectors.NumberRow) -> str:
        if row.status.cancelled:
            return _("Cancelled")
        return _("In use (cancellation recorded)") if row.status.cancelling else _("In use")

    def rows() -> Any:
        writer = csv_writer(Echo())
        yield "\ufeff" + writer.writerow([str(h) for h in CSV_HEADER])
        for chunk_start in range(0, lines.count(), 1000):
            for row in order_selectors.number_rows(lines=lines[chunk_start : chunk_start + 1000]):
                cancelled_on = row.status.cancelled_on.isoformat() if row.status.cancelled_on else ""
                yield writer.writerow(
                    [row.number, state(row), row.issued_on.isoformat(), cancelled_on, row.application_number]
                )

    response: Any = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="numbers-{customer.selfcare_id}-{clock.today():%Y%m%d}.csv"'
    )
    return response
