"""Every date and time on every staff page is the carrier's local time in the site's format (rules.md, "Who uses
it": staff read Tokyo time), never the stored UTC value with its microseconds (``2026-12-02 08:15:35.836365+00:00``).

Django's lists format a column's datetime, but a read-only field computed by a method printed it raw: the
customer page's ログインロック解除日時, the job page's 登録日時 and 次回実行. This walks every staff list and detail
page with a lock, jobs and entries stamped at a known time with microseconds.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import formats, timezone, translation

from selfcare.backoffice.tests.conftest import html
from selfcare.jobs import enqueue
from selfcare.jobs.tests import sample_jobs

RAW = re.compile(r"\+00:00|\d\d:\d\d:\d\d\.\d{6}")


def _registered():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def stamped(world):
    """A login lock running to tomorrow and a job waiting: times with microseconds, as stored."""
    user = world.acme.user
    user.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, microseconds=123_457)
    user.save(update_fields=["locked_until"])
    sample_jobs.CALLS.clear()
    with transaction.atomic():
        enqueue(sample_jobs.flaky, name="stamped")
    return world


@pytest.mark.parametrize("model", _registered(), ids=lambda model: model._meta.label)
def test_no_staff_page_shows_a_raw_utc_time(superuser, stamped, model):
    info = f"{model._meta.app_label}_{model._meta.model_name}"
    request = RequestFactory().get("/staff/")
    request.user = superuser.user
    list_page = html(superuser.get(reverse(f"admin:{info}_changelist")))
    assert not RAW.search(list_page), RAW.search(list_page)
    for obj in admin.site._registry[model].get_queryset(request).order_by("pk")[:5]:
        url = reverse(f"admin:{info}_change", args=[quote(obj.pk)])
        page = html(superuser.get(url))
        found = RAW.search(page)
        assert found is None, (url, page[max(0, found.start() - 200) : found.end() + 20])


def test_the_customer_page_shows_the_lock_in_tokyo_time(superuser, stamped):
    until = stamped.acme.user.locked_until
    page = html(superuser.get(reverse("admin:accounts_customer_change", args=[stamped.acme.pk])))
    with translation.override("ja"):
        assert formats.localize(timezone.template_localtime(until)) in page  # as the list shows it
    assert "ログインロック解除日時" in page or "login locked until" in page
