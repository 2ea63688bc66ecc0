"""registrar_config writes a kamailio.cfg that Debian's Kamailio accepts; the settings are checked."""

from __future__ import annotations

import io
import stat
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from selfcare.registrar.checks import registrar_settings_check
from selfcare.registrar.kamailio_cfg import BadRegistrarOption, RegistrarOptions, kamailio_db_url, render_kamailio_cfg
from selfcare.registrar.tests.kamailio import KAMAILIO, require

DB_URL = "postgres://kamailio:s3cret@db.example.internal:5432/selfcare"


def write_config(tmp_path, **options) -> str:
    target = tmp_path / "kamailio.cfg"
    call_command(
        "registrar_config",
        listen=options.pop("listen", ["udp:127.0.0.1:5060"]),
        db_url=options.pop("db_url", DB_URL),
        output=str(target),
        stderr=io.StringIO(),
        **options,
    )
    return target.read_text()


def test_given_the_settings_when_written_then_the_config_has_realm_domain_view_and_memory_registrations(
    tmp_path, settings
):
    settings.SELFCARE_SIP_DOMAIN = "sip.example.jp"
    settings.SELFCARE_SIP_REALM = "sip.example.jp"

    text = write_config(tmp_path, listen=["udp:192.0.2.10:5060", "tcp:192.0.2.10:5060"])

    assert "listen=udp:192.0.2.10:5060\nlisten=tcp:192.0.2.10:5060" in text
    assert f'modparam("auth_db", "db_url", "{DB_URL}")' in text
    assert 'auth_check("sip.example.jp", "registrar_subscriber", "1")' in text
    assert 'auth_challenge("sip.example.jp", "1")' in text
    assert 'if ($td != "sip.example.jp")' in text
    assert 'version_table="registrar_version"' in text
    assert 'modparam("usrloc", "db_mode", 0)' in text
    assert 'modparam("auth_db", "calculate_ha1", 0)' in text
    assert 'send_reply("403", "Forbidden")' in text
    assert 'modparam("ctl", "binrpc", "unixs:/run/kamailio/kamailio_ctl")' in text


def test_given_the_config_then_replays_stray_replies_and_gruus_are_refused_and_405_lists_the_methods(tmp_path):
    text = write_config(tmp_path)

    # Nonce counts (qop=auth in the challenge), one-time nonces for phones without qop.
    assert 'modparam("auth", "nonce_count", 1)' in text
    assert 'modparam("auth", "one_time_nonce", 1)' in text
    assert 'auth_challenge("sip.example.invalid", "1")' in text
    assert 'auth_challenge("sip.example.invalid", "17")' in text  # stale=true for a spent or expired nonce
    # Every reply to a REGISTER goes through its transaction (a retransmission is not a replay).
    route = text.split("request_route {", 1)[1]
    before, after = route.split("if (!t_newtran()) {", 1)
    assert "auth_check(" not in before
    after = after.split("}", 1)[1]
    assert "auth_check(" in after
    assert "sl_send_reply" not in after
    assert "sl_reply_error" not in after
    # Replies are never forwarded.
    assert "reply_route {\n\tdrop;\n}" in text
    assert 'modparam("registrar", "gruu_enabled", 0)' in text
    assert 'append_to_reply("Allow: REGISTER, OPTIONS\\r\\n");\n\t\tsl_send_reply("405", "Method Not Allowed");' in text


def test_given_a_file_when_written_then_it_is_not_readable_by_others(tmp_path):
    write_config(tmp_path)

    mode = stat.S_IMODE((tmp_path / "kamailio.cfg").stat().st_mode)
    assert mode & stat.S_IRWXO == 0
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.postgres  # with the other tests that need Debian's Kamailio (the PostgreSQL pass)
def test_given_the_config_when_kamailio_checks_it_then_it_is_accepted(tmp_path):
    kamailio = require(KAMAILIO)
    write_config(tmp_path, ctl_socket=str(tmp_path / "ctl"), ctl_group="root")

    done = subprocess.run(
        [str(kamailio), "-c", "-f", str(tmp_path / "kamailio.cfg")], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "config file ok" in (done.stdout + done.stderr).lower()


def test_given_a_tcp_control_address_then_binrpc_listens_there(tmp_path):
    text = write_config(tmp_path, ctl_socket="tcp:10.0.0.5:2049")
    assert 'modparam("ctl", "binrpc", "tcp:10.0.0.5:2049")' in text


def test_given_standard_output_when_written_then_printed(settings):
    out = io.StringIO()
    call_command("registrar_config", listen=["udp:127.0.0.1:5060"], db_url=DB_URL, stdout=out)
    assert out.getvalue().startswith("#!KAMAILIO")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"listen": ["127.0.0.1"]}, "listen address"),
        ({"listen": ['udp:1.2.3.4:5060"; exit']}, "listen address"),
        ({"db_url": "mysql://u:p@h/d"}, "postgres://"),
        ({"db_url": "postgres://db.example/selfcare"}, "login role"),
        ({"db_url": 'postgres://u:p"x@h/d'}, "quotes"),
        ({"ctl_socket": "relative/ctl"}, "absolute path"),
        ({"ctl_socket": "udp:10.0.0.1:2049"}, "absolute path"),
        ({"ctl_group": "bad group"}, "group name"),
        ({"children": 0}, "children"),
        ({"max_expires": 10}, "max_expires"),
    ],
)
def test_given_bad_options_when_rendering_then_refused(options, message):
    values = {"listen": ["udp:127.0.0.1:5060"], "db_url": DB_URL, **options}
    with pytest.raises(BadRegistrarOption, match=message):
        render_kamailio_cfg(RegistrarOptions(**values))


def test_given_no_database_url_when_writing_then_a_clear_error(monkeypatch):
    monkeypatch.delenv("SELFCARE_REGISTRAR_DATABASE_URL", raising=False)
    with pytest.raises(CommandError, match="--db-url"):
        call_command("registrar_config", listen=["udp:127.0.0.1:5060"], db_url="")


def test_given_postgresql_scheme_when_converted_then_kamailios_postgres_scheme():
    assert kamailio_db_url("postgresql://k:p@h:5432/d") == "postgres://k:p@h:5432/d"


def test_given_the_default_settings_then_no_check_complains():
    assert registrar_settings_check() == []


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("SELFCARE_SIP_DOMAIN", "sip example", "registrar.E001"),
        ("SELFCARE_SIP_DOMAIN", 'a"b', "registrar.E001"),
        ("SELFCARE_SIP_REALM", 'realm"; drop', "registrar.E002"),
        ("SELFCARE_SIP_REALM", "", "registrar.E002"),
        ("SELFCARE_REGISTRAR_DB_ROLE", "Robert'); DROP", "registrar.E003"),
        ("SELFCARE_REGISTRAR_CTL", "/run/kamailio/kamailio_ctl", "registrar.E004"),
    ],
)
def test_given_a_bad_setting_then_the_check_names_it(settings, name, value, check_id):
    setattr(settings, name, value)
    assert [error.id for error in registrar_settings_check()] == [check_id]
