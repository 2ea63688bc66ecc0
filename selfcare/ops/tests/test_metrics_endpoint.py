"""/metrics: who may read it, what it says (the database gauges included), and the sum over worker processes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.parser import text_string_to_metric_families

from selfcare.ops.tests.conftest import sample
from selfcare.orders.services import numbers_add

ROOT = Path(__file__).resolve().parents[3]


def scraped(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def test_given_the_default_setting_when_scraped_from_this_host_then_answered(client, db):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.5", "10.0.0.7", "", "not-an-address"])
def test_given_any_other_address_then_not_found(client, db, address):
    response = client.get("/metrics", REMOTE_ADDR=address)

    assert response.status_code == 404
    assert b"selfcare_" not in response.content


def test_given_a_network_allowed_then_its_addresses_may_scrape(client, db, settings):
    settings.SELFCARE_METRICS_ALLOWED = ["192.0.2.0/28"]

    assert client.get("/metrics", REMOTE_ADDR="192.0.2.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.17").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_given_an_allowed_client_behind_the_load_balancer_then_still_not_found(client, db, settings):
    # The load balancer is trusted for X-Forwarded-For (the login throttle, the audit log), but a scrape is
    # judged on the address that connected: through nginx, everyone would be the allowed client.
    settings.SELFCARE_TRUSTED_PROXIES = ["10.0.0.1"]
    settings.SELFCARE_METRICS_ALLOWED = ["192.0.2.10"]

    response = client.get("/metrics", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.10")

    assert response.status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.10").status_code == 200


def test_given_numbers_and_jobs_when_scraped_then_the_database_gauges_tell_them(client, customer, pool, actor):
    numbers_add(customer_id=customer.pk, count=3, idempotency_key="k", actor=actor)
    now = timezone.now()
    DBTaskResult.objects.all().delete()
    job = {"args_kwargs": {"args": [], "kwargs": {}}, "task_path": "x.y", "backend_name": "default"}
    late = DBTaskResult.objects.create(status=TaskResultStatus.READY, run_after=get_date_max(), **job)
    DBTaskResult.objects.filter(pk=late.pk).update(enqueued_at=now - dt.timedelta(seconds=600))
    DBTaskResult.objects.create(status=TaskResultStatus.READY, run_after=now - dt.timedelta(seconds=60), **job)
    DBTaskResult.objects.create(status=TaskResultStatus.READY, run_after=now + dt.timedelta(hours=1), **job)
    DBTaskResult.objects.create(status=TaskResultStatus.RUNNING, run_after=get_date_max(), **job)
    DBTaskResult.objects.create(status=TaskResultStatus.FAILED, run_after=get_date_max(), **job)
    DBTaskResult.objects.create(status=TaskResultStatus.SUCCESSFUL, run_after=get_date_max(), **job)

    values = scraped(client.get("/metrics"))

    assert values[("selfcare_scrape_database_up", ())] == 1
    assert values[("selfcare_numbers", (("state", "issuable"),))] == 197
    assert values[("selfcare_numbers", (("state", "held"),))] == 3
    assert values[("selfcare_numbers", (("state", "waiting"),))] == 0
    assert values[("selfcare_pool_low_threshold", ())] == django_settings.SELFCARE_LOW_POOL_WARNING
    assert values[("selfcare_jobs", (("state", "queued"),))] == 2
    assert values[("selfcare_jobs", (("state", "scheduled"),))] == 1
    assert values[("selfcare_jobs", (("state", "running"),))] == 1
    assert values[("selfcare_jobs", (("state", "failed"),))] == 1
    assert 600 <= values[("selfcare_jobs_oldest_queued_seconds", ())] < 660
    assert values[("selfcare_applications_placed_total", ())] >= 1


def test_given_no_job_waiting_then_the_oldest_is_zero(client, db):
    values = scraped(client.get("/metrics"))

    assert values[("selfcare_jobs_oldest_queued_seconds", ())] == 0
    assert values[("selfcare_jobs", (("state", "queued"),))] == 0


def test_given_a_request_then_its_latency_and_status_are_counted_under_its_view(client, db):
    before = sample("selfcare_http_request_duration_seconds_count", view="portal:login", method="GET")
    responses = sample("selfcare_http_responses_total", view="portal:login", method="GET", status="2xx")

    client.get("/login/")
    client.get("/no/such/page/")

    assert sample("selfcare_http_request_duration_seconds_count", view="portal:login", method="GET") == before + 1
    assert sample("selfcare_http_responses_total", view="portal:login", method="GET", status="2xx") == responses + 1
    assert sample("selfcare_http_responses_total", view="unresolved", method="GET", status="4xx") >= 1


def test_given_the_database_failing_when_scraped_then_the_counters_still_come_and_the_gauges_say_so(
    client, db, monkeypatch
):
    from django.db import OperationalError

    from selfcare.inventory import metrics as inventory_metrics

    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setattr(inventory_metrics, "pool_summary", broken)

    values = scraped(client.get("/metrics"))

    assert values[("selfcare_scrape_database_up", ())] == 0
    assert ("selfcare_numbers", (("state", "issuable"),)) not in values
    assert any(name == "selfcare_http_request_duration_seconds_count" for name, _labels in values)


MULTIPROCESS_SCRIPT = """
import sys
import django
django.setup()
from selfcare.ops import metrics
from selfcare.ops.views import scrape_registry
from prometheus_client import generate_latest
if sys.argv[1] == "count":
    metrics.application_refused(reason="pool_short")
    metrics.request_observed(view="portal:login", method="GET", status=200, seconds=0.02)
else:
    sys.stdout.write(generate_latest(scrape_registry()).decode())
"""


def test_given_a_multiprocess_directory_then_the_scrape_sums_every_worker(tmp_path):
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    env.pop("DATABASE_URL", None)  # the gauges' database is not the point here (an empty in-memory one)
    for _worker in range(2):
        subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT, "count"], cwd=ROOT, env=env, check=True)

    text = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS_SCRIPT, "scrape"], cwd=ROOT, env=env, check=True, capture_output=True
    ).stdout.decode()

    assert 'selfcare_applications_refused_total{reason="pool_short"} 2.0' in text
    assert 'selfcare_http_request_duration_seconds_count{method="GET",view="portal:login"} 2.0' in text
    assert "selfcare_scrape_database_up 0.0" in text  # no tables in that database: said, not raised


def test_given_a_scraper_asking_for_openmetrics_then_it_gets_openmetrics(client, db):
    response = client.get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")

    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.rstrip().endswith(b"# EOF")


@pytest.mark.postgres
def test_given_postgresql_then_the_job_gauges_read_the_jobs_not_done_along_their_index(db):
    from django.db import connection, transaction

    from selfcare.ops.collectors import NOT_DONE

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = DBTaskResult.objects.filter(status__in=NOT_DONE).explain()

    assert "selfcare_jobs_not_done" in plan
