from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.views import shortcut
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.core.audit import Actor, audit_record


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Authenticator code"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_required(login_url="admin:login")
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
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    ip = request.META.get("REMOTE_ADDR")
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(
                actor=Actor.staff(user, ip),  # type: ignore[arg-type]
                action="staff.otp_enrolled" if enrolling else "staff.login",
                target=user.get_username(),
            )
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = "admin:index"
            return redirect(target or "admin:index")
        audit_record(actor=Actor.staff(user, ip), action="staff.login_failed", detail={"step": "otp"})  # type: ignore[arg-type]
        form.add_error("token", _("The code is not correct. Check the time on your phone and try again."))
    context = {
        **admin.site.each_context(request),
        "title": _("Set up your authenticator") if enrolling else _("Authenticator code"),
        "form": form,
        "enrolling": enrolling,
        "qr_svg": mark_safe(_qr_svg(device.config_url)) if enrolling else "",  # noqa: S308 - our own SVG
        "secret": _base32(device) if enrolling else "",
    }
    response = render(request, "backoffice/otp.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect; an id holding NUL is no object's (PostgreSQL cannot compare it)."""
    if "\x00" in object_id:
        raise Http404
    return shortcut(request, content_type_id, object_id)


class StaffAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete, in a stable order (pages of it must not overlap) and without NUL in the term."""

    def process_request(self, request: HttpRequest) -> tuple:
        term, *rest = super().process_request(request)  # type: ignore[misc]
        return (term.replace("\x00", ""), *rest)

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        return queryset if queryset.ordered else queryset.order_by("pk")
