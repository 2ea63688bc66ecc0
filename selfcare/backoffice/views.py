from __future__ import annotations

import datetime as dt
import io
import math

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts.models import User
from selfcare.accounts.services import ENROLMENT_CODE_VALID, staff_enrolment_code_issue, staff_enrolment_start
from selfcare.audit.services import Actor, audit_record
from selfcare.core.errors import DomainError

# Set in the session once the right enrolment code was entered: the new authenticator it may show and confirm.
ENROLMENT_SESSION_KEY = "backoffice_enrolment"
ISSUE_PERMISSION = "accounts.issue_enrolment_code"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Authenticator code"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label=_("Enrolment code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "autofocus": True}),
    )


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@sensitive_post_parameters("token", "enrolment_code")
@login_required(login_url="admin:login")
@require_POST
def otp_logout_view(request: HttpRequest) -> HttpResponse:
    """Log out from the second-factor page: the admin's own log-out sends a staff member who is not past the
    second factor back to the site's index, and so to this page again."""
    auth_logout(request)
    return redirect("admin:login")


def otp_view(request: HttpRequest) -> HttpResponse:
    """Second factor for staff: enrol an authenticator app on first login, then a code every login."""
    user = request.user
    if not user.is_staff or not user.is_active:  # type: ignore[union-attr,attr-defined]
        return redirect("admin:login")
    if user.is_verified():  # type: ignore[union-attr,attr-defined]
        return redirect("admin:index")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        # The first authenticator only after the enrolment code an administrator handed over.
        device = _enrolment_device(request)
        if device is None:
            return _enrolment_code_step(request)
    form = TokenForm(request.POST or None)
    ip = request.META.get("REMOTE_ADDR")
    if request.method == "POST" and form.is_valid():
        throttled_until = _throttled_until(device)
        if throttled_until is not None:
            # The code was not even checked: saying it is wrong would send staff to their phone's clock.
            audit_record(
                actor=Actor.staff(user, ip),  # type: ignore[arg-type]
                action="staff.login_failed",
                detail={"step": "otp", "reason": "throttled"},
            )
            form.add_error("token", _throttle_message(throttled_until))
        elif device.verify_token(form.cleaned_data["token"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                request.session.pop(ENROLMENT_SESSION_KEY, None)
            otp_login(request, device)
            # A first login sets up the authenticator and is a login too (invariant 8): both are on record.
            for action in ("staff.otp_enrolled", "staff.login") if enrolling else ("staff.login",):
                audit_record(
                    actor=Actor.staff(user, ip),  # type: ignore[arg-type]
                    action=action,
                    target=user.get_username(),
                )
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = "admin:index"
            return redirect(target or "admin:index")
        else:
            audit_record(actor=Actor.staff(user, ip), action="staff.login_failed", detail={"step": "otp"})  # type: ignore[arg-type]
            form.add_error("token", _wrong_code_message(_throttled_until(device)))
    context = {
        **admin.site.each_context(request),
        "title": _("Set up your authenticator") if enrolling else _("Authenticator code"),
        "form": form,
        "enrolling": enrolling,
        "enrolment_code_step": False,
        "qr_svg": mark_safe(_qr_svg(device.config_url)) if enrolling else "",  # noqa: S308 - our own SVG
        "secret": _base32(device) if enrolling else "",
    }
    response = render(request, "backoffice/otp.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _throttled_until(device: TOTPDevice) -> dt.datetime | None:
    """When django-otp checks a code again after wrong ones (a delay doubling with each), or None if it does now."""
    allowed, info = device.verify_is_allowed()
    if allowed or not info or info.get("reason") != VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return None
    return info.get("locked_until")


def _retry_params(until: dt.datetime) -> dict[str, object]:
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    return {"time": timezone.localtime(until).strftime("%H:%M:%S"), "seconds": seconds}


def _throttle_message(until: dt.datetime) -> str:
    return str(
        _(
            "This code was not checked: after a wrong code, codes are checked again only from %(time)s "
            "(in %(seconds)s seconds), and the wait doubles with each wrong code. Wait until then and "
            "enter the code your app shows at that time."
        )
        % _retry_params(until)
    )


def _wrong_code_message(until: dt.datetime | None) -> str:
    message = _(
        "The code is not correct. Enter the code your app shows now; if codes keep failing, "
        "check that your phone sets its clock automatically."
    )
    if until is None:
        return str(message)
    retry = _("You can try again from %(time)s (in %(seconds)s seconds).") % _retry_params(until)
    return f"{message} {retry}"


def _enrolment_device(request: HttpRequest) -> TOTPDevice | None:
    """The unconfirmed authenticator this session may enrol: made when its right enrolment code was entered."""
    state = request.session.get(ENROLMENT_SESSION_KEY)
    if not isinstance(state, dict) or state.get("user") != request.user.pk:
        return None
    return TOTPDevice.objects.filter(pk=state.get("device"), user=request.user, confirmed=False).first()


def _enrolment_code_step(request: HttpRequest) -> HttpResponse:
    """First login without an authenticator: the enrolment code, before any QR code or key is shown."""
    user = request.user
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = staff_enrolment_start(
                user_id=user.pk,  # type: ignore[arg-type]
                code=form.cleaned_data["enrolment_code"],
                ip=request.META.get("REMOTE_ADDR"),
            )
        except DomainError as exc:
            form.add_error("enrolment_code", str(exc))
        else:
            request.session[ENROLMENT_SESSION_KEY] = {"user": user.pk, "device": device.pk}
            return redirect(request.get_full_path())  # the same page, now with the QR code (and the same ?next)
    context = {
        **admin.site.each_context(request),
        "title": _("Set up your authenticator"),
        "form": form,
        "enrolling": True,
        "enrolment_code_step": True,
        "hours": f"{ENROLMENT_CODE_VALID.total_seconds() / 3600:g}",
        "qr_svg": "",
        "secret": "",
    }
    response = render(request, "backoffice/otp.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


class EnrolmentCodeIssueForm(forms.Form):
    staff_user = forms.ModelChoiceField(label=_("staff user"), queryset=User.objects.none())
    reset_authenticator = forms.BooleanField(
        label=_("remove their authenticator"),
        required=False,
        help_text=_(
            "For a lost or replaced phone. Needed when the user already has an authenticator: "
            "it stops working at once, and the user enrols a new one with this code."
        ),
    )

    def __init__(self, *args: object, issuer: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        users = User.objects.filter(is_staff=True, is_active=True).exclude(pk=issuer.pk).order_by("username")
        if not issuer.is_superuser:
            users = users.filter(is_superuser=False)  # a superuser's second factor is a superuser's business
        self.fields["staff_user"].queryset = users  # type: ignore[attr-defined]


@sensitive_variables("issued")
def enrolment_code_view(request: HttpRequest) -> HttpResponse:
    """Issue another staff member's enrolment code (superusers, or the issue_enrolment_code permission); shown once."""
    issuer = request.user
    if not issuer.has_perm(ISSUE_PERMISSION):
        raise PermissionDenied
    initial = {"staff_user": request.GET.get("user", "")[:20]}
    form = EnrolmentCodeIssueForm(request.POST or None, initial=initial, issuer=issuer)  # type: ignore[arg-type]
    context = {**admin.site.each_context(request), "opts": User._meta, "title": _("Issue an enrolment code")}
    if request.method == "POST" and form.is_valid():
        try:
            issued = staff_enrolment_code_issue(
                username=form.cleaned_data["staff_user"].username,
                reset_authenticator=form.cleaned_data["reset_authenticator"],
                actor=Actor.staff(issuer, request.META.get("REMOTE_ADDR")),  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            context.update(issued=issued, staff_user=form.cleaned_data["staff_user"])
            response = render(request, "backoffice/enrolment_code_issued.html", context)
            response["Cache-Control"] = "no-store"
            return response
    hours = f"{ENROLMENT_CODE_VALID.total_seconds() / 3600:g}"
    response = render(request, "backoffice/enrolment_code_issue.html", {**context, "form": form, "hours": hours})
    response["Cache-Control"] = "no-store"
    return response


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect; an id holding NUL is no object's (PostgreSQL cannot compare it),
    nor is one its model's key cannot hold (a job's id that is no UUID)."""
    if "\x00" in object_id:
        raise Http404
    try:
        return shortcut(request, content_type_id, object_id)
    except ValidationError:
        raise Http404 from None


class StaffAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete, in a stable order (pages of it must not overlap) and without NUL in the term."""

    def process_request(self, request: HttpRequest) -> tuple:
        term, *rest = super().process_request(request)  # type: ignore[misc]
        return (term.replace("\x00", ""), *rest)

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        return queryset if queryset.ordered else queryset.order_by("pk")
