"""The client's address behind trusted proxies, and only behind them."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from selfcare.core.middleware import ForwardedForMiddleware, forwarded_client, trusted_networks

PROXIES = trusted_networks(["10.0.0.5", "127.0.0.0/8"])


@pytest.mark.parametrize(
    ("remote", "header", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),  # one proxy
        ("127.0.0.1", "203.0.113.7, 10.0.0.5", "203.0.113.7"),  # two proxies in a row
        ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client's own claim is ignored
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not from a proxy: the header is not believed
        ("127.0.0.1", "", "127.0.0.1"),  # no header
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),  # garbage: keep what the proxy vouched for
        ("127.0.0.1", "203.0.113.7, garbage", "127.0.0.1"),
        ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", "10.0.0.5, 127.0.0.1", "10.0.0.5"),  # every hop trusted: the left-most one
    ],
)
def test_forwarded_client(remote, header, expected):
    assert forwarded_client(remote, header, PROXIES) == expected


def test_bad_setting_is_named():
    with pytest.raises(ImproperlyConfigured, match="SELFCARE_TRUSTED_PROXIES"):
        trusted_networks(["10.0.0.300"])


def _remote_seen(**meta):
    seen = {}

    def view(request):
        seen["addr"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get("/", **meta)
    ForwardedForMiddleware(view)(request)
    return seen["addr"]


@override_settings(SELFCARE_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored():
    assert _remote_seen(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7") == "127.0.0.1"


@override_settings(SELFCARE_TRUSTED_PROXIES=["127.0.0.1"])
def test_with_a_trusted_proxy_the_client_address_is_used():
    assert _remote_seen(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7") == "203.0.113.7"


@pytest.mark.django_db
@override_settings(SELFCARE_TRUSTED_PROXIES=["127.0.0.1"])
def test_login_failures_are_throttled_per_client_behind_the_proxy(client):
    """A client throttled behind the proxy does not throttle the next client, nor the proxy."""
    from selfcare.accounts import login as login_steps

    for _ in range(login_steps.IP_FAILURES_ALLOWED):
        client.post(
            "/login/",
            {"selfcare_id": "nobody01", "password": "wrong-password-123"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    assert login_steps.ip_throttled("203.0.113.7")
    assert not login_steps.ip_throttled("203.0.113.8")
    assert not login_steps.ip_throttled("127.0.0.1")
