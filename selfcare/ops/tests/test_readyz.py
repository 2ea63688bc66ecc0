"""/readyz/: 200 while the database and the cache answer, 503 naming what does not (never a trace)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connection

CLOSED_PORT = "127.0.0.1:9"  # discard: nothing listens there on a test machine


def test_given_both_answer_then_ok(client, db):
    response = client.get("/readyz/")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_given_healthz_then_still_the_cheap_answer_without_the_database(client):
    response = client.get("/healthz/")  # no db fixture: a query would fail the test

    assert response.status_code == 200 and response.content == b"ok"


@pytest.fixture
def unreachable_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{CLOSED_PORT}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_given_the_cache_unreachable_then_503_naming_the_cache(client, db, unreachable_cache, caplog):
    response = client.get("/readyz/")

    assert response.status_code == 503
    assert response.content == b"unavailable: cache"
    assert "Traceback" not in caplog.text
    assert "readyz: the cache does not answer: ConnectionError" in caplog.text


def test_given_the_database_failing_then_503_naming_the_database(client, db):
    def refused(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 9 failed: Connection refused')

    with mock.patch.object(connection, "cursor", refused):
        response = client.get("/readyz/")

    assert response.status_code == 503
    assert response.content == b"unavailable: database"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_postgresql_on_a_closed_port_then_503_and_back_to_200_when_it_returns(client, unreachable_cache):
    host, port = CLOSED_PORT.split(":")
    connection.close()
    try:
        with mock.patch.dict(connection.settings_dict, {"HOST": host, "PORT": port}):
            response = client.get("/readyz/")
    finally:
        connection.close()

    assert response.status_code == 503
    assert response.content == b"unavailable: database, cache"
    with connection.cursor() as cursor:  # the real database again, for the readyz below and the teardown
        cursor.execute("SELECT 1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_postgresql_back_then_ready_again(client):
    connection.close()
    assert client.get("/readyz/").content == b"ok"
