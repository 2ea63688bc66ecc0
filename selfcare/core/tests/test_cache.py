"""count_in_window: counts from the first attempt of a window, keeps the window's expiry, opens a new one after it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache, caches
from django.utils import timezone

from selfcare.core.cache import count_in_window

KEY = "tests:window"
LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DATABASE = {"default": {"BACKEND": "selfcare.core.cache.DatabaseCache", "LOCATION": "selfcare_cache"}}


@pytest.fixture(params=["local", "database"])
def any_cache(request, settings, db):
    """The tests' local cache, then the project's DatabaseCache (its incr is its own)."""
    settings.CACHES = LOCAL if request.param == "local" else DATABASE
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now().replace(microsecond=0), tick=False)
    return time_machine


def test_given_attempts_in_one_window_then_each_gets_the_count_so_far(any_cache):
    assert [count_in_window(KEY, seconds=60) for _ in range(4)] == [1, 2, 3, 4]
    assert count_in_window("tests:another", seconds=60) == 1


def test_given_counting_goes_on_then_the_window_still_ends_where_its_first_attempt_put_it(any_cache, frozen):
    count_in_window(KEY, seconds=60)
    frozen.shift(dt.timedelta(seconds=50))
    assert count_in_window(KEY, seconds=60) == 2  # an incr that reset the expiry would keep the window open

    frozen.shift(dt.timedelta(seconds=11))

    assert count_in_window(KEY, seconds=60) == 1


def test_given_the_window_expires_between_add_and_incr_then_the_attempt_opens_a_new_one(any_cache, monkeypatch):
    count_in_window(KEY, seconds=60)

    def expired(key, delta=1, version=None):
        cache.delete(key)
        raise ValueError(f"Key '{key}' not found")

    monkeypatch.setattr(caches["default"], "incr", expired)

    assert count_in_window(KEY, seconds=60) == 1
    assert cache.get(KEY) == 1
