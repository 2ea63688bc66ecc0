"""DATABASE_URL with several hosts (a primary and its standby): libpq's form, which dj-database-url refuses."""

from __future__ import annotations

from config.settings.base import database_from_url


def test_given_one_host_when_parsed_then_it_is_dj_database_urls_reading():
    config = database_from_url("postgres://selfcare:secret@db1:5432/selfcare?connect_timeout=5")

    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db1", 5432, "selfcare")
    assert config["OPTIONS"] == {"connect_timeout": 5}


def test_given_two_hosts_when_parsed_then_django_hands_libpq_both_and_the_options():
    config = database_from_url(
        "postgres://selfcare:p%40ss@db1:5432,db2:5433/selfcare?target_session_attrs=read-write&connect_timeout=5"
    )

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"]) == ("db1,db2", "5432,5433")
    assert (config["USER"], config["PASSWORD"], config["NAME"]) == ("selfcare", "p@ss", "selfcare")
    assert config["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 5}
    assert config["CONN_HEALTH_CHECKS"] is True


def test_given_hosts_without_ports_or_in_brackets_when_parsed_then_the_default_port_is_left_empty():
    config = database_from_url("postgres://selfcare@db1,[2001:db8::2]:6432,[2001:db8::3]/selfcare")

    assert config["HOST"] == "db1,2001:db8::2,2001:db8::3"
    assert config["PORT"] == ",6432,"
    assert config["USER"] == "selfcare" and config["NAME"] == "selfcare"
