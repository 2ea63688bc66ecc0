"""What an outside audit found on the portal: caching of personal pages, typed IDs kept as typed,
passwords on the debug page, and the embedded mode's defaults."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from selfcare.accounts import login as login_steps
from selfcare.audit.models import AuditEntry
from selfcare.portal.tests.conftest import PASSWORD, place

PERSONAL_PAGES = ["/menu/", "/numbers/", "/applications/", "/numbers/add/", "/password/"]


@pytest.mark.parametrize("url", PERSONAL_PAGES)
def test_given_a_personal_page_when_sent_then_no_cache_may_keep_it(logged_in, url):
    response = logged_in.get(url)

    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_given_an_application_page_when_sent_then_no_cache_may_keep_it(logged_in, pool):
    url = place(logged_in, 1)

    directives = {part.strip() for part in logged_in.get(url)["Cache-Control"].split(",")}

    assert {"private", "no-store"} <= directives


def test_given_a_password_typed_into_the_id_field_when_refused_then_the_audit_log_does_not_keep_it(client, db):
    typed = "my secret password 2026"

    client.post("/login/", {"selfcare_id": typed, "password": "something else entirely"})

    entry = AuditEntry.objects.get(action="login.failed")
    assert typed not in entry.actor_label and typed not in entry.target and typed not in str(entry.detail)
    assert entry.target == login_steps.typed_id_label(typed)  # the same text twice is still recognisable


def test_given_the_same_unknown_id_twice_when_recorded_then_both_entries_carry_the_same_label(client, db):
    for _ in range(2):
        client.post("/login/", {"selfcare_id": "nobody-here", "password": "something else entirely"})

    labels = set(AuditEntry.objects.filter(action="login.failed").values_list("target", flat=True))
    assert len(labels) == 1 and "nobody-here" not in labels.pop()


def test_given_a_known_id_when_refused_then_the_audit_log_names_the_account(client, login_customer):
    client.post("/login/", {"selfcare_id": login_customer.selfcare_id, "password": "something else entirely"})

    assert AuditEntry.objects.get(action="login.failed").target == login_customer.selfcare_id


def crash(*args, **kwargs):
    raise RuntimeError("the hash library went away")


@pytest.mark.parametrize(
    ("url", "data", "secret", "patch"),
    [
        (
            "/login/",
            {"selfcare_id": "nobody-here", "password": "typed-customer-secret-123"},
            "typed-customer-secret-123",
            "make_password",
        ),
        (
            "/staff/login/",
            {"username": "operator1", "password": "typed-staff-secret-1234"},
            "typed-staff-secret-1234",
            "staff_login_blocked",
        ),
    ],
)
def test_given_debug_pages_on_when_a_login_step_crashes_then_the_typed_password_is_not_on_the_page(
    db, settings, monkeypatch, url, data, secret, patch
):
    settings.DEBUG = True
    if patch == "make_password":
        monkeypatch.setattr(login_steps, "make_password", crash)
    else:
        import selfcare.backoffice.forms as staff_forms

        monkeypatch.setattr(staff_forms, "staff_login_blocked", crash)
    client = Client(raise_request_exception=False)

    response = client.post(url, data)

    assert response.status_code == 500
    page = response.content.decode()
    assert "the hash library went away" in page  # it is the debug page, frames and all
    assert secret not in page


def test_given_the_code_step_crashes_when_debug_pages_are_on_then_the_code_is_not_on_the_page(
    client, login_customer, mailoutbox, settings, monkeypatch
):
    from selfcare.testing import login_code

    client.post("/login/", {"selfcare_id": login_customer.selfcare_id, "password": PASSWORD})
    code = login_code(mailoutbox[-1])
    settings.DEBUG = True
    monkeypatch.setattr(login_steps, "_verify_locked", crash)
    client.raise_request_exception = False

    response = client.post("/login/verify/", {"code": code})

    assert response.status_code == 500
    assert "the hash library went away" in response.content.decode()
    assert code not in response.content.decode()


def embedded(tmp_path: Path, code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_DEBUG"}},
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "SELFCARE_VAR_DIR": str(tmp_path / "var"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_given_the_embedded_mode_when_nothing_asks_for_debug_pages_then_they_are_off(tmp_path):
    assert embedded(tmp_path, "from django.conf import settings; print(settings.DEBUG)") == "False"
    assert embedded(tmp_path, "from django.conf import settings; print(settings.DEBUG)", DJANGO_DEBUG="true") == "True"


def test_given_the_embedded_mode_when_it_starts_then_its_database_and_secrets_are_readable_by_the_owner_only(tmp_path):
    embedded(
        tmp_path,
        "from django.db import connection; connection.ensure_connection()",
    )

    for name in ("selfcare.sqlite3", "local-secrets.json"):
        mode = stat.S_IMODE((tmp_path / "var" / name).stat().st_mode)
        assert mode == 0o600, f"{name}: {oct(mode)}"


def test_given_an_existing_database_readable_by_others_when_the_embedded_mode_starts_then_it_is_made_private(tmp_path):
    (tmp_path / "var").mkdir()
    database = tmp_path / "var" / "selfcare.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)

    embedded(tmp_path, "pass")

    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_given_a_query_with_a_secret_fails_when_debug_pages_are_on_then_no_frame_shows_its_values(
    db, settings, monkeypatch
):
    """Any frame, marked or not: here a staff code step whose database write fails under django-otp."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from selfcare.accounts.models import User
    from selfcare.backoffice.tests.conftest import totp_token

    settings.DEBUG = True
    staff = User.objects.create_user(username="operator9", password="x" * 20, is_staff=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    secret_hex = device.key

    def failing_save(self, *args, **kwargs):
        raise RuntimeError("the database refused the write")

    monkeypatch.setattr(TOTPDevice, "save", failing_save)
    client = Client(raise_request_exception=False)
    client.force_login(staff)

    response = client.post("/staff/otp/", {"token": totp_token(device)})

    page = response.content.decode()
    assert response.status_code == 500 and "the database refused the write" in page
    assert secret_hex not in page
    assert repr(bytes.fromhex(secret_hex))[2:-1] not in page
    assert "Local vars" in page or "local vars" in page.lower()  # frames are there, their values are not
