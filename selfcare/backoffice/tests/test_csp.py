"""The staff site has a Content-Security-Policy of its own: scripts only from the site itself."""

import pytest


@pytest.mark.django_db
def test_staff_pages_carry_a_policy_without_inline_scripts(client):
    response = client.get("/staff/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
