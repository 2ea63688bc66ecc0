"""What staff read: audit actions by name, the authenticators' app by name, nothing before the second factor,
a throttled code explained as such, and the new customer's initial password in plain sight."""

from __future__ import annotations

import re

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.tests.conftest import OTP_URL, SALES, html, ja, totp_token, wrong_token

AUDIT_URL = "/staff/audit/auditentry/"
THROTTLED = (
    "This code was not checked: after a wrong code, codes are checked again only from %(time)s "
    "(in %(seconds)s seconds), and the wait doubles with each wrong code. Wait until then and "
    "enter the code your app shows at that time."
)


def test_the_audit_log_names_each_action_and_filters_by_it_with_the_code_kept(auditor, world):
    response = auditor.get(AUDIT_URL)
    page = html(response)
    assert ja("Letter posted") in page and ja("Numbers added (application placed)") in page
    assert not re.search(r'<td class="field-audit_action">letter\.posted</td>', page)
    assert AuditEntry.objects.filter(action="letter.posted").exists()  # stored as it was

    filtered = auditor.get(AUDIT_URL, {"action__exact": "letter.posted"})
    assert filtered.status_code == 200
    assert {entry.action for entry in filtered.context["cl"].result_list} == {"letter.posted"}


def test_the_authenticators_app_has_a_name_staff_understand(superuser, world):
    page = html(superuser.get("/staff/"))
    assert "OTP_TOTP" not in page and ja("Staff authenticators") in page
    assert ja("Authenticator apps") in page
    assert "OTP_TOTP" not in html(superuser.get("/staff/otp_totp/totpdevice/"))


def test_before_the_second_factor_no_sidebar_or_app_list_shows(make_staff, world):
    staff = make_staff(SALES, verified=False)
    TOTPDevice.objects.create(user=staff.user, name="authenticator", confirmed=True)
    page = html(staff.get(OTP_URL))
    assert 'id="nav-sidebar"' not in page
    assert "/staff/accounts/customer/" not in page


def test_given_a_wrong_code_when_the_right_one_follows_at_once_then_the_throttle_is_named_with_the_time(
    make_staff, world
):
    staff = make_staff(SALES, verified=False)
    device = TOTPDevice.objects.create(user=staff.user, name="authenticator", confirmed=True)
    staff.post(OTP_URL, {"token": wrong_token(device)})
    device.refresh_from_db()
    until = timezone.localtime(device.throttling_failure_timestamp + timezone.timedelta(seconds=1))

    response = staff.post(OTP_URL, {"token": totp_token(device)})

    page = html(response)
    assert "clock" not in page and ja("Check the time on your phone and try again.") not in page
    assert until.strftime("%H:%M:%S") in page
    assert response.context["form"].errors["token"][0].startswith(ja(THROTTLED)[:8])
    assert staff.get("/staff/").status_code == 302


def test_the_new_customers_page_says_the_initial_password_is_posted_and_shows_none(sales, world):
    response = sales.post(
        "/staff/accounts/customer/add/",
        {
            "selfcare_id": "epsilon-1",
            "email": "e@example.com",
            "contract_name": "イプシロン株式会社",
            "postal_code": "100-0001",
            "address": "東京都千代田区千代田1-1",
            "plan": world.plan.pk,
        },
    )
    page = html(response)
    assert "初期パスワードはご契約住所へ郵送します（郵送物を作成しました）" in page
    assert "安全な方法でお客さまにお伝えください" not in page
    assert "initial-password" not in page


def test_staff_accounts_and_roles_have_a_section_of_their_own_not_under_customers_and_plans(superuser, world):
    from html import unescape

    page = unescape(html(superuser.get("/staff/")))

    sections = dict(
        (caption, body)
        for caption, body in re.findall(
            r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>\s*</caption>(.*?)</table>', page, re.S
        )
    )
    customers = sections[ja("Customers and plans")]
    staff = sections[ja("Staff and roles")]
    assert "/staff/accounts/user/" not in customers and "/staff/accounts/customer/" in customers
    assert "/staff/accounts/user/" in staff and "/staff/auth/group/" in staff and ja("Roles") in staff
    assert "認証と認可" not in sections  # the roles' own app has nothing else to show
