"""The access logs of gunicorn and nginx never write a URL's query string (a key put there by mistake)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_gunicorns_access_line_writes_the_path_without_its_query():
    namespace: dict = {}
    exec(compile((ROOT / "deploy" / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    line = namespace["access_log_format"]
    assert "%(U)s" in line
    for whole_url in ("%(r)s", "%(q)s", "%(f)s"):  # request line, query string, referer
        assert whole_url not in line


def test_nginxs_log_format_writes_the_path_without_its_query():
    conf = (ROOT / "deploy" / "nginx-selfcare.conf").read_text()
    (fmt,) = re.findall(r"log_format selfcare (.*?);", conf, re.S)
    assert "$uri" in fmt
    for whole_url in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$http_referer"):
        assert whole_url not in fmt
