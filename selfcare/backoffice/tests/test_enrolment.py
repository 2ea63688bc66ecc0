"""The first authenticator needs an enrolment code an administrator handed over: a staff password alone enrols nothing.

The code is single use, valid for a day at most, stored only as a keyed hash, void after five wrong
entries or when a newer code is issued, and every step is audited. It is issued by
``manage.py staff_enrolment_code``, by ``seed_demo`` for the demo staff user, and on the staff site.
"""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from selfcare.accounts.errors import StaffAlreadyEnrolled, StaffUserNotFound
from selfcare.accounts.models import StaffEnrolmentCode, User
from selfcare.accounts.services import (
    ENROLMENT_CODE_MAX_FAILURES,
    ENROLMENT_CODE_VALID,
    enrolment_code_normalise,
    staff_enrolment_code_issue,
)
from selfcare.backoffice.tests.conftest import (
    AUDITOR,
    CUSTOMER_CENTRE,
    INDEX_URL,
    LOGIN_URL,
    OTP_URL,
    SALES,
    STAFF_PASSWORD,
    _staff_user,
    audit,
    everything_stored,
    html,
    ja,
    ja_html,
    totp_token,
)
from selfcare.testing import TEST_ACTOR

ISSUE_URL = "/staff/enrolment-code/"
QR_SVG = re.compile(r'class="otp-qr"[^>]*>\s*(?:<\?xml[^>]*>\s*)?<svg[^>]*>.*?<path', re.S)
CODE_RE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")
NO_VALID_CODE = (
    "There is no valid enrolment code for this account. Ask an administrator for one: it is needed "
    "to set up your authenticator."
)


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    # django-otp refuses a second try within a second: the clock moves only when a test moves it.
    time_machine.move_to(timezone.now(), tick=False)


def password_step(client: Client, username: str, password: str = STAFF_PASSWORD):
    response = client.post(LOGIN_URL, {"username": username, "password": password, "next": INDEX_URL}, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].split("?")[0] == OTP_URL, response
    return response


def logged_in(user: User) -> Client:
    """A browser past the staff password, on the code page."""
    client = Client()
    password_step(client, user.username)
    return client


def enter_code(client: Client, code: str):
    return client.post(OTP_URL, {"enrolment_code": code}, follow=True)


def new_code(user: User, **kwargs: object) -> str:
    return staff_enrolment_code_issue(username=user.username, actor=TEST_ACTOR, **kwargs).code  # type: ignore[arg-type]


def assert_no_authenticator_shown(response) -> None:
    page = html(response)
    assert not QR_SVG.search(page) and "otp-qr" not in page
    assert not response.context["secret"] and not response.context["qr_svg"]
    assert not TOTPDevice.objects.filter(user=response.wsgi_request.user).exists()


def finish_enrolment(client: Client, user: User):
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(OTP_URL, {"token": totp_token(device)})
    assert response.status_code == 302 and response.url == INDEX_URL, response
    device.refresh_from_db()
    assert device.confirmed
    return device


# A staff password alone -----------------------------------------------------------------------------------


def test_a_staff_password_alone_cannot_enrol_an_authenticator(roles):
    """Whoever knows a new staff member's password must not be able to claim their second factor."""
    user = _staff_user(superuser=True)
    client = Client()

    response = password_step(client, user.username)

    assert response.status_code == 200
    assert_no_authenticator_shown(response)
    assert response["Cache-Control"] == "no-store"
    assert 'name="enrolment_code"' in html(response) and 'name="token"' not in html(response)
    assert response.context["enrolment_code_step"] is True
    # Neither a token nor anything else gets past this page without the code.
    response = client.post(OTP_URL, {"token": "123456"}, follow=True)
    assert_no_authenticator_shown(response)
    response = enter_code(client, "ABCD-EFGH-JKLM-NPQR")
    assert ja_html(NO_VALID_CODE) in html(response)
    assert_no_authenticator_shown(response)
    assert client.get(INDEX_URL, follow=True).redirect_chain[-1][0] == OTP_URL
    refused = audit("staff.login_failed", actor_user=user).get()
    assert refused.detail == {"step": "enrolment_code", "reason": "no_valid_code"}


def test_an_unconfirmed_authenticator_from_before_is_neither_shown_nor_kept(roles):
    """A key made before the code was entered (say, by the earlier first-login page) may have been seen: a new one."""
    user = _staff_user(SALES)
    old = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    client = logged_in(user)
    response = client.get(OTP_URL)
    assert old.config_url not in html(response) and not response.context["secret"]

    code = new_code(user)
    response = enter_code(client, code)

    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    device = TOTPDevice.objects.get(user=user)
    assert device.bin_key != old.bin_key and not device.confirmed


# The right code ------------------------------------------------------------------------------------------


def test_the_right_code_shows_the_qr_code_and_the_first_token_enrols(roles):
    user = _staff_user(CUSTOMER_CENTRE)
    code = new_code(user)
    client = logged_in(user)

    response = enter_code(client, code)

    page = html(response)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == OTP_URL
    assert QR_SVG.search(page), "after the right code the page shows the QR code"
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed and response.context["secret"] in page
    assert response.context["enrolling"] is True and response.context["enrolment_code_step"] is False
    assert 'name="token"' in page and 'name="enrolment_code"' not in page
    assert response["Cache-Control"] == "no-store"
    assert client.get(INDEX_URL).status_code == 302, "the code alone opens nothing either"

    finish_enrolment(client, user)

    response = client.get(INDEX_URL)
    assert response.status_code == 200 and ja("Number inventory") in html(response)
    assert audit("staff.otp_enrolled", actor_user=user).count() == 1
    stored = StaffEnrolmentCode.objects.get(user=user)
    assert stored.used_at is not None and stored.failed_attempts == 0
    assert audit("staff.enrolment_code_used", actor_user=user).get().detail == {"code_id": stored.pk}


def test_the_code_is_accepted_as_people_type_it(roles):
    user = _staff_user(AUDITOR)
    code = new_code(user)
    typed = "  " + code.lower().replace("-", " ") + " "
    typed = typed.translate(
        str.maketrans(
            "abcdefghjkmnpqrstuvwxyz23456789", "ａｂｃｄｅｆｇｈｊｋｍｎｐｑｒｓｔｕｖｗｘｙｚ２３４５６７８９"
        )
    )

    response = enter_code(logged_in(user), typed)

    assert QR_SVG.search(html(response))


def test_the_next_page_is_kept_through_the_code(roles):
    user = _staff_user(AUDITOR)
    code = new_code(user)
    client = logged_in(user)

    response = client.post(f"{OTP_URL}?next=/staff/audit/auditentry/", {"enrolment_code": code})

    assert response.status_code == 302 and response.url == f"{OTP_URL}?next=/staff/audit/auditentry/"
    device = TOTPDevice.objects.get(user=user)
    response = client.post(response.url, {"token": totp_token(device)})
    assert response.status_code == 302 and response.url == "/staff/audit/auditentry/"


def test_the_code_is_stored_only_as_a_keyed_hash_and_never_written_anywhere(roles, caplog):
    user = _staff_user(SALES)
    caplog.set_level("DEBUG")
    code = new_code(user)
    client = logged_in(user)
    enter_code(client, code)
    finish_enrolment(client, user)

    stored = everything_stored()
    for form in (code, enrolment_code_normalise(code), code.lower()):
        assert form not in stored
        assert form not in caplog.text
    row = StaffEnrolmentCode.objects.get(user=user)
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)


def test_the_codes_have_no_admin_page(superuser):
    assert StaffEnrolmentCode not in admin.site._registry
    new_code(_staff_user(SALES))
    assert superuser.get("/staff/accounts/staffenrolmentcode/").status_code == 404


def test_codes_are_random(roles):
    user = _staff_user(SALES)
    codes = {new_code(user) for _ in range(20)}
    assert len(codes) == 20
    assert all(CODE_RE.fullmatch(code) for code in codes)


# Single use, expiry, wrong entries, a newer code ---------------------------------------------------------------


def test_a_code_works_once(roles):
    user = _staff_user(SALES)
    code = new_code(user)
    first = logged_in(user)
    assert QR_SVG.search(html(enter_code(first, code)))

    # The same code again, in another browser (or after logging out before scanning): refused, saying why.
    second = logged_in(user)
    response = enter_code(second, code)

    assert ja_html("This enrolment code has already been used. Ask an administrator for a new one.") in html(response)
    assert not QR_SVG.search(html(response))
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert audit("staff.login_failed", actor_user=user).get().detail["reason"] == "used"
    # The first browser's enrolment is unaffected; the second has nothing to confirm.
    assert second.post(OTP_URL, {"token": totp_token(TOTPDevice.objects.get(user=user))}).status_code == 200
    finish_enrolment(first, user)


def test_a_code_expires_after_its_validity(roles, time_machine):
    assert dt.timedelta(0) < ENROLMENT_CODE_VALID <= dt.timedelta(hours=24)
    user = _staff_user(SALES)
    late = _staff_user(SALES)
    code_in_time, code_late = new_code(user), new_code(late)

    time_machine.shift(ENROLMENT_CODE_VALID - dt.timedelta(minutes=1))
    assert QR_SVG.search(html(enter_code(logged_in(user), code_in_time)))

    time_machine.shift(dt.timedelta(minutes=1))
    response = enter_code(logged_in(late), code_late)

    assert ja_html("This enrolment code has expired. Ask an administrator for a new one.") in html(response)
    assert_no_authenticator_shown(response)
    assert audit("staff.login_failed", actor_user=late).get().detail["reason"] == "expired"
    # Any other entry now: there is no valid code at all.
    response = enter_code(logged_in(late), "AAAA-BBBB-CCCC-DDDD")
    assert ja_html(NO_VALID_CODE) in html(response)


def test_a_code_is_void_after_five_wrong_entries(roles, time_machine):
    assert ENROLMENT_CODE_MAX_FAILURES == 5
    user = _staff_user(SALES)
    code = new_code(user)
    client = logged_in(user)
    wrong = "2222-3333-4444-5555" if code != "2222-3333-4444-5555" else "2222-3333-4444-6666"

    for remaining in (4, 3, 2, 1):
        response = enter_code(client, wrong)
        message = "The enrolment code is not correct. Wrong entries left before the code is voided: %(remaining)d."
        assert ja_html(message, remaining=remaining) in html(response)
        assert_no_authenticator_shown(response)
    response = enter_code(client, "not even a code")
    assert ja_html(
        "The enrolment code is not correct, and after %(attempts)d wrong entries it is now void. "
        "Ask an administrator for a new one.",
        attempts=5,
    ) in html(response)

    # The right code is now refused as well, truly saying why.
    response = enter_code(client, code)
    assert ja_html(
        "This enrolment code was voided after too many wrong entries. Ask an administrator for a new one."
    ) in html(response)
    assert_no_authenticator_shown(response)
    row = StaffEnrolmentCode.objects.get(user=user)
    assert row.failed_attempts == 5 and row.void_reason == StaffEnrolmentCode.VoidReason.TOO_MANY_FAILURES
    failures = list(audit("staff.login_failed", actor_user=user).values_list("detail", flat=True))
    assert [d["reason"] for d in failures] == ["wrong_code"] * 5 + ["voided"]
    assert failures[4]["voided"] is True and failures[0]["remaining"] == 4
    # A new code from an administrator works.
    assert QR_SVG.search(html(enter_code(client, new_code(user))))


def test_a_new_code_voids_the_earlier_one(roles):
    user = _staff_user(SALES)
    earlier = new_code(user)
    newer = new_code(user)
    client = logged_in(user)

    response = enter_code(client, earlier)

    assert ja_html("This enrolment code was replaced by a newer one. Enter the newest code you were given.") in html(
        response
    )
    assert_no_authenticator_shown(response)
    assert StaffEnrolmentCode.objects.filter(user=user, voided_at__isnull=True).count() == 1
    assert audit("staff.enrolment_code_issued", target=user.username).last().detail["replaced"] == 1
    assert QR_SVG.search(html(enter_code(client, newer)))


def test_a_new_code_ends_an_enrolment_begun_with_the_earlier_one(roles):
    """Someone at the QR code with a stolen code is cut off when an administrator issues a new one."""
    user = _staff_user(SALES)
    intruder = logged_in(user)
    enter_code(intruder, new_code(user))
    shown = TOTPDevice.objects.get(user=user)

    code = new_code(user)

    assert not TOTPDevice.objects.filter(pk=shown.pk).exists()
    response = intruder.post(OTP_URL, {"token": totp_token(shown)}, follow=True)
    assert response.context["enrolment_code_step"] is True and intruder.get(INDEX_URL).status_code == 302
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    client = logged_in(user)
    enter_code(client, code)
    finish_enrolment(client, user)


def test_one_users_code_does_not_enrol_another(roles):
    alice, bob = _staff_user(SALES), _staff_user(SALES)
    code = new_code(alice)
    new_code(bob)

    response = enter_code(logged_in(bob), code)

    assert "otp-qr" not in html(response)
    assert not TOTPDevice.objects.filter(user=bob).exists()
    assert StaffEnrolmentCode.objects.get(user=alice).used_at is None


def test_enrolment_started_by_one_user_is_not_shown_to_another_in_the_same_browser(roles):
    alice, bob = _staff_user(SALES), _staff_user(SALES)
    client = logged_in(alice)
    enter_code(client, new_code(alice))
    client.logout()

    response = password_step(client, bob.username)

    assert response.context["enrolment_code_step"] is True and "otp-qr" not in html(response)


def test_every_step_is_audited(roles):
    user = _staff_user(SALES)
    code = new_code(user)
    client = logged_in(user)
    enter_code(client, "2222-2222-2222-2222" if code != "2222-2222-2222-2222" else "3333-3333-3333-3333")
    enter_code(client, code)
    finish_enrolment(client, user)

    issued = audit("staff.enrolment_code_issued", target=user.username).get()
    assert issued.actor_label == "tests" and issued.detail["expires_at"]
    failed = audit("staff.login_failed", actor_user=user).get()
    assert failed.detail["step"] == "enrolment_code" and failed.ip_address == "127.0.0.1"
    used = audit("staff.enrolment_code_used", actor_user=user).get()
    assert used.actor_kind == "staff" and used.target == user.username
    assert audit("staff.otp_enrolled", actor_user=user).count() == 1
    assert failed.id < used.id


# Issuing: who for, and a reset of the authenticator ------------------------------------------------------------


def test_a_code_is_issued_only_to_active_staff(roles, world):
    with pytest.raises(StaffUserNotFound):
        staff_enrolment_code_issue(username=world.acme.user.username, actor=TEST_ACTOR)
    with pytest.raises(StaffUserNotFound):
        staff_enrolment_code_issue(username="nobody", actor=TEST_ACTOR)
    inactive = _staff_user(SALES)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    with pytest.raises(StaffUserNotFound):
        staff_enrolment_code_issue(username=inactive.username, actor=TEST_ACTOR)
    assert not StaffEnrolmentCode.objects.exists()


def test_resetting_an_authenticator_needs_a_fresh_code(roles):
    user = _staff_user(SALES)
    client = logged_in(user)
    enter_code(client, new_code(user))
    old_device = finish_enrolment(client, user)
    assert client.get(INDEX_URL).status_code == 200

    # With an authenticator, a code comes only with its reset.
    with pytest.raises(StaffAlreadyEnrolled):
        new_code(user)
    issued = staff_enrolment_code_issue(username=user.username, actor=TEST_ACTOR, reset_authenticator=True)

    assert issued.authenticators_removed == 1
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert audit("staff.authenticator_reset", target=user.username).get().detail == {"devices": 1}
    # The session verified with the removed authenticator is no longer let in.
    assert client.get(INDEX_URL).status_code == 302
    # At the next login: the code page, and the fresh code enrols a new authenticator.
    response = password_step(client, user.username)
    assert response.context["enrolment_code_step"] is True
    assert QR_SVG.search(html(enter_code(client, issued.code)))
    new_device = finish_enrolment(client, user)
    assert new_device.bin_key != old_device.bin_key


def test_removing_an_authenticator_any_other_way_voids_the_codes_issued_before(roles):
    """Deleting a device on django-otp's own page (or in a shell) must not let a code from before it enrol."""
    user = _staff_user(SALES)
    code = new_code(user)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)

    device.delete()

    response = enter_code(logged_in(user), code)
    assert ja_html(
        "This enrolment code was voided when an authenticator of this account was removed. "
        "Ask an administrator for a new one."
    ) in html(response)
    assert_no_authenticator_shown(response)
    voided = audit("staff.enrolment_code_voided", target=user.username).get()
    assert voided.detail == {"reason": "authenticator_removed", "codes": 1}
    assert QR_SVG.search(html(enter_code(logged_in(user), new_code(user))))


# manage.py staff_enrolment_code and seed_demo --------------------------------------------------------------------


def run(name: str, *args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_prints_a_code_that_enrols(roles):
    user = _staff_user(SALES)

    output = run("staff_enrolment_code", user.username)

    assert f"Enrolment code for {user.username} (shown once, valid until" in output
    codes = CODE_RE.findall(output)
    assert len(codes) == 1
    assert audit("staff.enrolment_code_issued", target=user.username).get().actor_label == "staff_enrolment_code"
    client = logged_in(user)
    assert QR_SVG.search(html(enter_code(client, codes[0])))
    finish_enrolment(client, user)


def test_the_command_refuses_clearly_and_resets_only_when_asked(roles):
    user = _staff_user(SALES)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    out = StringIO()
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("staff_enrolment_code", user.username, stdout=out, stderr=StringIO())
    assert "already has an authenticator" in str(refused.value) and not CODE_RE.search(out.getvalue())
    assert TOTPDevice.objects.filter(user=user).exists()
    with translation.override("en"), pytest.raises(CommandError, match="No active staff user is called nobody"):
        call_command("staff_enrolment_code", "nobody", stdout=StringIO(), stderr=StringIO())

    output = run("staff_enrolment_code", user.username, "--reset")

    assert f"Removed the authenticator of {user.username}." in output
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert QR_SVG.search(html(enter_code(logged_in(user), CODE_RE.search(output).group(0))))  # type: ignore[union-attr]


def test_the_command_has_help(capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("staff_enrolment_code", "--help")
    assert exited.value.code == 0
    assert "--reset" in capsys.readouterr().out


def test_seed_demo_prints_the_demo_staff_users_enrolment_code_and_it_works(roles):
    output = run("seed_demo")

    line = next(line for line in output.splitlines() if line.startswith("Staff site"))
    match = re.search(r"user: (\S+)  password: (\S+)  enrolment code: (\S+)", line)
    assert match is not None, line
    username, password, code = match.groups()
    client = Client()
    password_step(client, username, password)
    assert QR_SVG.search(html(enter_code(client, code)))
    finish_enrolment(client, User.objects.get(username=username))
    assert client.get(INDEX_URL).status_code == 200

    # Seeding again keeps the enrolled authenticator and prints no code.
    again = run("seed_demo")
    line = next(line for line in again.splitlines() if line.startswith("Staff site"))
    assert "enrolment code" not in line and not CODE_RE.search(line)
    assert TOTPDevice.objects.filter(user__username=username, confirmed=True).count() == 1


# The staff site's page for issuing a code ----------------------------------------------------------------------


def issued_code(response) -> str:
    match = re.search(r'<code class="enrolment-code">([^<]+)</code>', html(response))
    assert match is not None, html(response)
    return match.group(1)


def test_a_superuser_issues_a_code_on_the_staff_site_and_it_enrols(superuser, roles):
    newcomer = _staff_user(SALES)
    response = superuser.get(f"/staff/accounts/user/{newcomer.pk}/change/")
    assert f'href="{ISSUE_URL}?user={newcomer.pk}"' in html(response)
    response = superuser.get(ISSUE_URL, {"user": newcomer.pk})
    assert response.status_code == 200
    assert f'<option value="{newcomer.pk}" selected>' in html(response)
    assert f'<option value="{superuser.user.pk}"' not in html(response), "not one's own"

    response = superuser.post(ISSUE_URL, {"staff_user": newcomer.pk})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = issued_code(response)
    entry = audit("staff.enrolment_code_issued", target=newcomer.username).get()
    assert entry.actor_user_id == superuser.user.pk and entry.actor_kind == "staff"
    assert code not in everything_stored()
    # Shown once: opening the page again shows no code.
    assert "enrolment-code" not in html(superuser.get(ISSUE_URL))
    client = logged_in(newcomer)
    assert QR_SVG.search(html(enter_code(client, code)))
    finish_enrolment(client, newcomer)


def test_the_staff_site_resets_an_authenticator_only_when_asked(superuser, make_staff):
    colleague = make_staff(SALES)

    response = superuser.post(ISSUE_URL, {"staff_user": colleague.user.pk})

    assert response.status_code == 200 and "enrolment-code" not in html(response)
    assert ja_html(
        "%(username)s already has an authenticator. An enrolment code is only issued together with a reset "
        "of the authenticator.",
        username=colleague.user.username,
    ) in html(response)
    assert colleague.get(INDEX_URL).status_code == 200

    response = superuser.post(ISSUE_URL, {"staff_user": colleague.user.pk, "reset_authenticator": "on"})

    code = issued_code(response)
    assert not TOTPDevice.objects.filter(user=colleague.user).exists()
    assert colleague.get(INDEX_URL).status_code == 302
    assert audit("staff.authenticator_reset", target=colleague.user.username).get().actor_user_id == superuser.user.pk
    assert QR_SVG.search(html(enter_code(logged_in(colleague.user), code)))


def test_only_superusers_and_holders_of_the_permission_may_issue_codes(make_staff, roles):
    newcomer = _staff_user(SALES)
    for role in (CUSTOMER_CENTRE, SALES, AUDITOR):
        staff = make_staff(role)
        assert staff.get(ISSUE_URL).status_code == 403
        assert staff.post(ISSUE_URL, {"staff_user": newcomer.pk}).status_code == 403
        assert "enrolment-code" not in html(staff.get(f"/staff/accounts/user/{newcomer.pk}/change/"))
    assert not StaffEnrolmentCode.objects.exists()

    # The dedicated permission: codes for other staff, never for a superuser.
    issuer = make_staff(SALES)
    issuer.user.user_permissions.add(Permission.objects.get(codename="issue_enrolment_code"))
    admin_user = _staff_user(superuser=True)
    page = html(issuer.get(ISSUE_URL))
    assert f'<option value="{newcomer.pk}"' in page and f'<option value="{admin_user.pk}"' not in page
    response = issuer.post(ISSUE_URL, {"staff_user": admin_user.pk})
    assert response.status_code == 200 and "enrolment-code" not in html(response)
    assert not StaffEnrolmentCode.objects.filter(user=admin_user).exists()
    assert CODE_RE.fullmatch(issued_code(issuer.post(ISSUE_URL, {"staff_user": newcomer.pk})))


def test_a_code_is_not_issued_to_a_customer_on_the_staff_site(superuser, world):
    response = superuser.post(ISSUE_URL, {"staff_user": world.acme.user.pk})
    assert response.status_code == 200 and "enrolment-code" not in html(response)
    assert not StaffEnrolmentCode.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"staff_user": "\x00"},
        {"staff_user": str(10**30)},
        {"staff_user": "-1", "reset_authenticator": "\x00"},
        {"staff_user": ["1", "2"]},
        {"reset_authenticator": "on"},
    ],
)
def test_junk_on_the_issue_page_is_refused_with_a_message(superuser, data):
    response = superuser.post(ISSUE_URL, data)
    assert response.status_code == 200 and 'class="errorlist' in html(response)
    assert superuser.get(ISSUE_URL, {"user": "\x00" + "9" * 50}).status_code == 200
    assert not StaffEnrolmentCode.objects.exists()


@pytest.mark.parametrize("typed", ["\x00", "x" * 65, "ＡＢＣＤ－" * 10, "", "' OR 1=1 --"])
def test_junk_enrolment_codes_are_refused_with_a_message(roles, typed):
    user = _staff_user(SALES)
    new_code(user)
    response = enter_code(logged_in(user), typed)
    assert response.status_code == 200 and 'class="errorlist' in html(response)
    assert_no_authenticator_shown(response)


def test_a_first_login_through_enrolment_is_audited_as_a_staff_login_too(roles):
    """Invariant 8: every login leaves an entry; a staff member's first one is also their authenticator's set-up."""
    user = _staff_user(CUSTOMER_CENTRE)
    code = new_code(user)
    client = logged_in(user)
    enter_code(client, code)

    finish_enrolment(client, user)

    assert client.get(INDEX_URL).status_code == 200
    actions = list(audit("staff.otp_enrolled", actor_user=user).values_list("action", flat=True))
    actions += list(audit("staff.login", actor_user=user).values_list("action", flat=True))
    assert actions == ["staff.otp_enrolled", "staff.login"]
    login = audit("staff.login", actor_user=user).get()
    assert login.target == user.get_username() and login.ip_address
