"""The staff code step at any count of failed codes: refused with a page, never a 500, never let in."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.backoffice.tests.conftest import OTP_URL, totp_token, wrong_token


@pytest.mark.parametrize("count", [10, 11, 50, 51, 60, 10_000])
def test_given_n_failed_codes_when_a_staff_member_types_another_then_refused_with_a_page(make_staff, count):
    staff = make_staff(superuser=True, verified=False)
    device = TOTPDevice.objects.create(user=staff.user, name="authenticator", confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=count, throttling_failure_timestamp=timezone.now()
    )
    device.refresh_from_db()

    wrong = staff.post(OTP_URL, {"token": wrong_token(device)})
    right = staff.post(OTP_URL, {"token": totp_token(device)})

    assert wrong.status_code == right.status_code == 200  # the code page again, with its error
    assert staff.get("/staff/").status_code == 302  # not past the second factor
