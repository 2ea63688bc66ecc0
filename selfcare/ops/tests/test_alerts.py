"""deploy/prometheus-alerts.yml: valid rules (promtool, when installed) that fire when they should (its unit tests)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ALERTS = ROOT / "deploy" / "prometheus-alerts.yml"
UNIT_TESTS = Path(__file__).with_name("prometheus-alerts.test.yml")
PROMTOOL = shutil.which("promtool")  # Debian's package prometheus

ASKED_FOR = {
    "SelfcareServerErrors",
    "SelfcarePoolLow",
    "SelfcareJobsFailing",
    "SelfcareJobsNotRunning",
    "SelfcareRegistrarUnreachable",
    "PostgresReplicationLagSeconds",
    "PostgresReplicationLagBytes",
}


def test_the_file_is_rule_groups_each_alert_paging_with_a_summary():
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]

    assert {rule["alert"] for rule in rules} >= ASKED_FOR
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["expr"].strip() and rule["labels"]["severity"] == "page"
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_every_selfcare_metric_named_in_the_alerts_exists():
    from selfcare.ops import metrics  # noqa: F401 - registers them

    exposed = {
        "selfcare_http_responses_total",
        "selfcare_registrar_calls_total",
        "selfcare_numbers",
        "selfcare_pool_low_threshold",
        "selfcare_jobs",
        "selfcare_jobs_oldest_queued_seconds",
        "selfcare_scrape_database_up",
    }
    rules = [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]
    named = {name for rule in rules for name in re.findall(r"\bselfcare_[a-z_]+", rule["expr"])}

    assert named <= exposed


# scripts/test installs it; only a run outside it may lack it, and never a CI run.
@pytest.mark.skipif(
    PROMTOOL is None and os.environ.get("CI") != "true", reason="promtool is not installed (apt-get install prometheus)"
)
def test_promtool_checks_the_rules_and_their_unit_tests_pass():
    subprocess.run([PROMTOOL, "check", "rules", str(ALERTS)], check=True, capture_output=True)
    done = subprocess.run([PROMTOOL, "test", "rules", str(UNIT_TESTS)], capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
