from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from selfcare.accounts import login as login_steps
from selfcare.accounts.errors import CustomerSuspended, LimitReached, PasswordRequestsTooMany
from selfcare.accounts.login_errors import (
    CodeLimitReached,
    CodeNoLongerValid,
    CodeNotSent,
    CodeResendTooSoon,
    CodeWrong,
    LoginRefused,
)
from selfcare.accounts.models import Customer, LoginCode, User
from selfcare.accounts.services import customer_password_change, customer_password_forgotten
from selfcare.audit.services import Actor, audit_record
from selfcare.core import clock
from selfcare.core.errors import Busy, DomainError
from selfcare.idempotency.errors import IdempotencyKeyReused, RequestInFlight
from selfcare.idempotency.services import fingerprint, request_once
from selfcare.orders import selectors as order_selectors
from selfcare.orders.services import numbers_add
from selfcare.portal import session as portal_session
from selfcare.portal.code_status import code_status
from selfcare.portal.forms import CodeForm, CountForm, LoginForm, PasswordForgottenForm, PasswordForm, TokenForm

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
ADD_OPERATION = "portal 050番号追加申込"


def client_ip(request: HttpRequest) -> str | None:
    # Behind a trusted load balancer ForwardedForMiddleware has put the client's address here.
    return request.META.get("REMOTE_ADDR")


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        customer = getattr(user, "customer", None) if user.is_authenticated else None
        if customer is None or user.is_staff:
            return redirect("portal:login")
        request.customer = customer  # type: ignore[attr-defined]
        if customer.user.password_change_required and getattr(request.resolver_match, "url_name", None) != "password":
            # A password set by staff or posted on a letter is changed first; the password page says why.
            return no_store(redirect("portal:password"))
        # Every page behind the login is personal: no shared or browser cache keeps it.
        return no_store(view(request, *args, **kwargs))

    return wrapper


def no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


# Login ----------------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and hasattr(request.user, "customer") and not request.user.is_staff:
        return redirect("portal:menu")
    form = LoginForm(request.POST or None)
    error = None
    login_help = False
    notice = request.session.pop("selfcare_notice", None)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            user = login_steps.login_check_password(
                selfcare_id=form.cleaned_data["selfcare_id"], password=form.cleaned_data["password"], ip=ip
            )
            portal_session.preauth_start(request, user.pk, next_url=next_url)
            login_steps.login_code_send(user_id=user.pk, ip=ip)
        except CodeNotSent:
            portal_session.code_unsent_mark(request, _last_code_id(user.pk))
            return redirect("portal:verify")
        except (CodeResendTooSoon, CodeLimitReached):
            # The password was right; the code page says that no new code was sent, and why.
            return redirect("portal:verify")
        except DomainError as refusal:
            error = str(refusal)
            login_help = isinstance(refusal, LoginRefused)
        else:
            return redirect("portal:verify")
    context = {
        "form": form,
        "error": error,
        "login_help": login_help,
        "notice": notice,
        "next": next_url,
        "support_phone": settings.SELFCARE_SUPPORT_PHONE,
    }
    return no_store(render(request, "portal/login.html", context))


def safe_next(request: HttpRequest, url: str | None) -> str:
    """Where to go after logging in: a page of the portal on this host, never elsewhere."""
    if not url or len(url) > 2000 or not url.startswith("/") or url.startswith("//"):
        return ""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return ""
    if url.startswith((settings.SELFCARE_STAFF_URL_PREFIX, "/login/", "/logout/")):
        return ""
    return url


def _last_code_id(user_id: int) -> int | None:
    return LoginCode.objects.filter(user_id=user_id).order_by("-created_at").values_list("pk", flat=True).first()


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user_id = portal_session.preauth_user_id(request)
    if user_id is None:
        request.session["selfcare_notice"] = _("Please log in again.")
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    refusal: DomainError | None = None
    notice = request.session.pop("selfcare_notice", None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_steps.login_code_verify(user_id=user_id, code=form.cleaned_data["code"], ip=client_ip(request))
        except DomainError as refused:
            refusal = refused
        else:
            next_url = portal_session.preauth_next(request)
            portal_session.preauth_clear(request)
            login(request, user, backend="selfcare.accounts.backends.UserBackend")  # cycles the session key
            now = clock.now()
            request.session[portal_session.AUTH_AT] = now.isoformat()
            request.session[portal_session.SEEN_AT] = now.isoformat()
            return redirect(safe_next(request, next_url) or "portal:menu")
    user = User.objects.get(pk=user_id)
    status = code_status(
        user=user,
        password_step_at=portal_session.preauth_started_at(request),
        unsent_code_id=portal_session.code_unsent_id(request),
    )
    # "No longer valid" is said more precisely by the page itself (why, and when a new code can come).
    error = None if refusal is None or isinstance(refusal, CodeNoLongerValid) else str(refusal)
    if isinstance(refusal, CodeWrong) and status.locked_until is not None:
        # This wrong code paused the account's logins: no entry is left, whatever the code's own count says.
        error = _("The verification code is not correct.")
    context = {
        "form": form,
        "error": error,
        "notice": notice,
        "email": mask_email(user.email),
        "status": status,
        "code_minutes": int(login_steps.CODE_VALID.total_seconds() // 60),
        "code_max_failures": login_steps.CODE_MAX_FAILURES,
        "codes_per_hour": login_steps.CODES_PER_HOUR,
        "support_phone": settings.SELFCARE_SUPPORT_PHONE,
    }
    return no_store(render(request, "portal/verify.html", context))


@require_POST
def resend_view(request: HttpRequest) -> HttpResponse:
    user_id = portal_session.preauth_user_id(request)
    if user_id is None:
        return redirect("portal:login")
    if User.objects.filter(pk=user_id, locked_until__gt=clock.now()).exists():
        return redirect("portal:verify")  # no code works while logins are paused; the page says until when
    try:
        login_steps.login_code_send(user_id=user_id, ip=client_ip(request))
    except CodeNotSent:
        portal_session.code_unsent_mark(request, _last_code_id(user_id))
    except (CodeResendTooSoon, CodeLimitReached):
        request.session["selfcare_notice"] = _("No new code was sent.")
    except DomainError as refusal:
        request.session["selfcare_notice"] = str(refusal)
    else:
        portal_session.code_unsent_mark(request, None)
        request.session["selfcare_notice"] = _("A new code has been sent. Earlier codes no longer work.")
    return redirect("portal:verify")


def mask_email(email: str) -> str:
    name, _sep, domain = email.partition("@")
    return f"{name[:2]}{'*' * max(len(name) - 2, 1)}@{domain}"


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    customer = getattr(request.user, "customer", None) if request.user.is_authenticated else None
    if customer is not None:
        audit_record(actor=Actor.customer(customer, client_ip(request)), action="logout", customer=customer)
    logout(request)  # flushes the session
    request.session["selfcare_notice"] = _("You have logged out.")
    return redirect("portal:login")


# Menu and lists -------------------------------------------------------------------------------


@customer_required
def menu_view(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/menu.html", {"customer": request.customer})  # type: ignore[attr-defined]


@customer_required
def numbers_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    lines = order_selectors.lines_of_customer(customer_id=customer.pk)
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    rows = order_selectors.number_rows(lines=page.object_list)
    return render(request, "portal/numbers.html", {"customer": customer, "page": page, "rows": rows})


@customer_required
def applications_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    applications = order_selectors.applications_of_customer(customer_id=customer.pk)
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    return render(request, "portal/applications.html", {"customer": customer, "page": page})


# 050番号追加申込: input -> confirm -> execute -> complete ---------------------------------------


def _input_page(
    request: HttpRequest, customer: Customer, form: CountForm | None = None, *, status: int = 200
) -> HttpResponse:
    """The input page: the form with the real maximum, or, when nothing may be added, why and whom to ask."""
    refusal = customer.addition_refusal(1)
    maximum = min(CountForm.limits()[1], customer.remaining_additions)
    if form is None and refusal is None:
        form = CountForm(maximum=maximum)
    context = {
        "customer": customer,
        "form": form if refusal is None else None,
        "refusal": refusal,
        "suspended": isinstance(refusal, CustomerSuspended),
        "minimum": CountForm.limits()[0],
        "maximum": maximum,
        "per_application": CountForm.limits()[1],
        "notice": request.session.pop("selfcare_notice", None),
    }
    return render(request, "portal/add_input.html", context, status=status)


@customer_required
@require_http_methods(["GET", "POST"])
def add_input_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    maximum = min(CountForm.limits()[1], customer.remaining_additions)
    initial = {"count": request.GET.get("count", "")[:20]} if request.method == "GET" else None
    form = CountForm(request.POST or None, initial=initial, maximum=maximum)
    if request.method == "POST" and form.is_valid():
        count = form.cleaned_data["count"]
        if (refusal := customer.addition_refusal(count)) is not None:
            # Over the limit: said at the field, the typed value kept (suspended: the page says so).
            form.add_error("count", str(refusal))
        else:
            token = portal_session.draft_create(request, count)
            return redirect(f"{request.path}confirm/?token={token}")
    return _input_page(request, customer, form)


@customer_required
def add_confirm_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    token = request.GET.get("token", "")[:64]
    count = portal_session.draft_count(request, token)
    if count is None:
        return _replayed_or_expired(request, customer, token)
    plan = customer.plan
    context = {
        "customer": customer,
        "count": count,
        "plan": plan,
        "fee_total": count * plan.monthly_fee_per_number,
        "form": TokenForm(initial={"token": token}),
    }
    return no_store(render(request, "portal/add_confirm.html", context))


@customer_required
@require_POST
def add_execute_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    form = TokenForm(request.POST)
    token = form.data.get("token", "")[:64] if form.is_valid() else ""
    count = portal_session.draft_count(request, token)
    if count is None:
        return _replayed_or_expired(request, customer, token)
    actor = Actor.customer(customer, client_ip(request))

    def place() -> tuple[int, dict[str, str]]:
        placement = numbers_add(customer_id=customer.pk, count=count, idempotency_key=token, actor=actor)
        return 201, {"application_number": placement.application.application_number}

    try:
        # The same mechanism as the business API's Idempotency-Key: the token is the key (invariant 4).
        answer = request_once(
            customer_id=customer.pk,
            key=token,
            fingerprint=fingerprint(ADD_OPERATION, count=count),
            work=place,
        )
    except IdempotencyKeyReused:
        return _replayed_or_expired(request, customer, token)
    except RequestInFlight:
        # The first 実行 of this confirmation is still running after the bounded wait: it will not be
        # placed twice, and My applications shows it when it is done.
        message = _(
            "Your application is still being processed. Open My applications in a moment to see it; "
            "it will not be placed twice."
        )
        return render(
            request, "portal/add_refused.html", {"customer": customer, "message": message, "count": count}, status=409
        )
    except (LimitReached, CustomerSuspended) as refusal:
        # The limit was lowered or the contract suspended since the confirm page: back on the input
        # page, which says so at the field (or, with nothing left to add, whom to ask).
        portal_session.draft_discard(request, token)
        customer.refresh_from_db(fields=["addition_limit", "numbers_added", "status"])
        maximum = min(CountForm.limits()[1], customer.remaining_additions)
        count_form = CountForm({"count": str(count)}, maximum=maximum)
        if count_form.is_valid():
            count_form.add_error("count", str(refusal))
        return _input_page(request, customer, count_form)
    except DomainError as refusal:  # too few numbers in the pool, or busy: nothing was added
        portal_session.draft_discard(request, token)
        context = {"customer": customer, "message": str(refusal), "count": count}
        return render(request, "portal/add_refused.html", context)
    portal_session.draft_discard(request, token)
    return redirect("portal:application", application_number=answer.body["application_number"])


def _replayed_or_expired(request: HttpRequest, customer: Customer, token: str) -> HttpResponse:
    """A used token shows its application again; an unknown one starts over."""
    if TOKEN_SHAPE.fullmatch(token):
        earlier = order_selectors.application_by_idempotency_key(customer_id=customer.pk, idempotency_key=token)
        if earlier is not None:
            return redirect("portal:application", application_number=earlier.application_number)
    request.session["selfcare_notice"] = _(
        "That confirmation is no longer valid. Please enter the numbers to add again."
    )
    return redirect("portal:add_input")


@customer_required
def application_view(request: HttpRequest, application_number: str) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    shown = order_selectors.application_of_customer(customer_id=customer.pk, application_number=application_number[:20])
    if shown is None:
        raise Http404
    context = {
        "customer": customer,
        "application": shown.application,
        "rows": shown.lines,
        "shown": shown.passwords_shown,
        "window": shown.window_minutes,
        "shown_until": shown.shown_until,
        "any_cancellation": shown.any_cancellation,
    }
    return no_store(render(request, "portal/application.html", context))


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@customer_required
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    customer: Customer = request.customer  # type: ignore[attr-defined]
    ip = client_ip(request)
    form = PasswordForm(request.user, request.POST or None, ip=ip)
    if request.method == "POST":
        if form.is_valid():
            changed = customer_password_change(
                customer_id=customer.pk,
                new_password=form.cleaned_data["new_password1"],
                actor=Actor.customer(customer, ip),
            )
            customer.user.refresh_from_db(fields=["password"])
            update_session_auth_hash(request, customer.user)
            context = {"customer": customer, "letter_stopped": changed.letter_stopped}
            return render(request, "portal/password_done.html", context)
        if login_steps.is_locked(user_id=customer.user_id):
            # Wrong current passwords have locked the account: this session ends with it.
            logout(request)
            request.session["selfcare_notice"] = _(
                "The current password was entered wrongly too many times, so you have been logged out. "
                "Logins pause for a while; if you need help, call the customer centre."
            )
            return redirect("portal:login")
    return no_store(render(request, "portal/password.html", {"customer": customer, "form": form}))


def root_view(request: HttpRequest) -> HttpResponse:
    return redirect("portal:menu")


@require_http_methods(["GET", "POST"])
def password_forgotten_view(request: HttpRequest) -> HttpResponse:
    """パスワードをお忘れの方: the same answer whether the ID and e-mail match or not."""
    form = PasswordForgottenForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            customer_password_forgotten(
                selfcare_id=form.cleaned_data["selfcare_id"], email=form.cleaned_data["email"], ip=client_ip(request)
            )
        except PasswordRequestsTooMany as refusal:
            error, status = str(refusal), 429
        except Busy as refusal:  # the account's row stayed locked: nothing was done, the request may be repeated
            error, status = str(refusal), 503
        else:
            return redirect("portal:password_forgotten_sent")
    context = {"form": form, "error": error, "support_phone": settings.SELFCARE_SUPPORT_PHONE}
    return no_store(render(request, "portal/password_forgotten.html", context, status=status if error else 200))


def password_forgotten_sent_view(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_forgotten_sent.html", {"support_phone": settings.SELFCARE_SUPPORT_PHONE})
