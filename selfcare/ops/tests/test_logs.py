"""The JSON log line: one object per event, the fields a collector indexes, nothing Django attaches unasked."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from selfcare.ops.logs import JsonFormatter, RequestIdFilter, logging_config
from selfcare.ops.request_id import request_id_bound

ROOT = Path(__file__).resolve().parents[3]


def formatted(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    text = JsonFormatter().format(record)
    assert "\n" not in text
    return json.loads(text)


def record(msg: str, *args: object, level: int = logging.INFO, exc_info=None, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("selfcare.tests", level, __file__, 1, msg, args, exc_info)
    made.__dict__.update(extra)
    return made


def test_given_a_record_then_time_level_logger_message_request_id_and_extras():
    with request_id_bound("abcdef0123456789"):
        line = formatted(record("placed %s", "260101-ABCDEFGH", view="portal:add_execute", status=302))

    assert list(line)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert line["time"].endswith("+00:00") and "." in line["time"]
    assert (line["level"], line["logger"], line["message"]) == ("INFO", "selfcare.tests", "placed 260101-ABCDEFGH")
    assert line["request_id"] == "abcdef0123456789"
    assert (line["view"], line["status"]) == ("portal:add_execute", 302)


def test_given_japanese_then_written_as_is():
    assert formatted(record("番号を追加しました"))["message"] == "番号を追加しました"


def test_given_an_exception_then_its_traceback_is_one_field_of_the_same_line_without_postgresql_details():
    try:
        raise RuntimeError(
            'duplicate key value violates unique constraint "x"\nDETAIL:  Key (sip_ha1)=(0123abcd) already exists.'
        )
    except RuntimeError:
        line = formatted(record("failed", level=logging.ERROR, exc_info=sys.exc_info()))

    assert "Traceback" in line["exc_info"] and "duplicate key value" in line["exc_info"]
    assert "0123abcd" not in line["exc_info"]
    assert "DETAIL: (withheld from the log)" in line["exc_info"]


def test_given_django_attaching_the_request_then_only_its_id_is_written(rf):
    request = rf.post("/login/", {"password": "a typed password"})
    request.request_id = "0123456789abcdef"

    line = formatted(record("Bad Request: /login/", level=logging.WARNING, request=request, status_code=400))

    assert "request" not in line and line["request_id"] == "0123456789abcdef" and line["status_code"] == 400
    assert "a typed password" not in json.dumps(line)


def test_given_an_unknown_format_then_refused():
    with pytest.raises(ValueError, match="SELFCARE_LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_the_sql_and_template_logs_never_go_below_info(level):
    loggers = logging_config(log_format="json", level=level)["loggers"]

    assert loggers["django.db.backends"]["level"] == "INFO"
    assert loggers["django.template"]["level"] == "INFO"


def _settings_of(module: str, **env: str) -> dict:
    code = (
        "import json, importlib, sys; s = importlib.import_module(sys.argv[1]);"
        "print(json.dumps([s.SELFCARE_LOG_FORMAT, s.LOGGING['handlers']['console']['formatter']]))"
    )
    environ = {name: value for name, value in os.environ.items() if name != "SELFCARE_LOG_FORMAT"} | env
    done = subprocess.run([sys.executable, "-c", code, module], cwd=ROOT, env=environ, capture_output=True, check=True)
    return json.loads(done.stdout)


def test_production_logs_json_and_the_local_mode_text(tmp_path):
    secrets = {"DJANGO_SECRET_KEY": "x" * 50, "SELFCARE_ENCRYPTION_KEYS": Fernet.generate_key().decode()}

    assert _settings_of("config.settings.production", **secrets) == ["json", "json"]
    assert _settings_of("config.settings.production", **secrets, SELFCARE_LOG_FORMAT="text") == ["text", "text"]
    assert _settings_of("config.settings.local", SELFCARE_VAR_DIR=str(tmp_path)) == ["text", "text"]
