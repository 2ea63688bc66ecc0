"""The second-factor page has a way out: log out, and who to ask when the authenticator app cannot be used.

Before, its only link (ホーム, the breadcrumbs) led back to the same page: a staff member without their phone
was stuck on it until the session ran out.
"""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.backoffice.tests.conftest import OTP_URL, html, ja


def test_the_code_page_offers_log_out_and_whom_to_ask(make_staff):
    staff = make_staff("customer centre", verified=False)
    TOTPDevice.objects.create(user=staff.user, name="authenticator", confirmed=True)
    page = html(staff.get(OTP_URL))
    assert ja("If you cannot use your authenticator app, ask an administrator.") in page
    assert "認証アプリを使えない場合は管理者にお問い合わせください" in page
    assert 'action="/staff/otp/logout/"' in page and ">ログアウト<" in page
    assert 'class="breadcrumbs"' not in page  # its ホーム led back here

    staff.post("/staff/otp/logout/")
    assert "_auth_user_id" not in staff.client.session
    assert staff.get(OTP_URL).status_code == 302  # logged out: the code page sends to the login


def test_the_enrolment_page_offers_log_out_too(make_staff):
    staff = make_staff("customer centre", verified=False)
    page = html(staff.get(OTP_URL))
    assert 'action="/staff/otp/logout/"' in page
