"""The counters move where the business happens: applications placed and refused, failed login steps, kamcmd."""

from __future__ import annotations

import pytest

from selfcare.accounts.login import IP_FAILURES_ALLOWED
from selfcare.orders.errors import BadCount, LimitReached, PoolShort
from selfcare.orders.services import numbers_add
from selfcare.portal.tests.conftest import password_step
from selfcare.registrar import control
from selfcare.registrar.control import RegistrarUnreachable
from selfcare.testing import login_code, pool_add

PLACED = "selfcare_applications_placed_total"
ISSUED = "selfcare_numbers_issued_total"
REFUSED = "selfcare_applications_refused_total"
LOGIN = "selfcare_login_failures_total"
REGISTRAR = "selfcare_registrar_calls_total"


def test_given_a_pool_when_an_application_is_placed_then_one_placement_and_its_numbers_are_counted(
    customer, pool, actor, delta
):
    delta.watch(PLACED).watch(ISSUED)

    numbers_add(customer_id=customer.pk, count=3, idempotency_key="k1", actor=actor)
    numbers_add(customer_id=customer.pk, count=3, idempotency_key="k1", actor=actor)  # the replay places nothing

    assert delta(PLACED) == 1
    assert delta(ISSUED) == 3


@pytest.mark.parametrize(
    ("count", "limit", "error", "reason"),
    [(0, 50, BadCount, "bad_count"), (5, 2, LimitReached, "limit_reached"), (5, 50, PoolShort, "pool_short")],
)
def test_given_a_refusal_when_placing_then_it_is_counted_by_its_code(
    customer, actor, delta, count, limit, error, reason
):
    pool_add("05000000000", 3)
    customer.addition_limit = limit
    customer.save()
    delta.watch(PLACED).watch(REFUSED, reason=reason)

    with pytest.raises(error):
        numbers_add(customer_id=customer.pk, count=count, idempotency_key="k", actor=actor)

    assert delta(REFUSED, reason=reason) == 1
    assert delta(PLACED) == 0


def test_given_wrong_passwords_and_unknown_ids_when_logging_in_then_counted_by_step_and_reason(
    client, login_customer, delta
):
    delta.watch(LOGIN, step="password", reason="wrong_password").watch(LOGIN, step="password", reason="unknown_id")

    password_step(client, login_customer.selfcare_id, "not the password at all")
    password_step(client, "nobody-such", "whatever it is")
    password_step(client, "nobody-else", "whatever it is")

    assert delta(LOGIN, step="password", reason="wrong_password") == 1
    assert delta(LOGIN, step="password", reason="unknown_id") == 2


def test_given_a_wrong_code_when_verifying_then_counted_at_the_code_step(client, login_customer, mailoutbox, delta):
    password_step(client, login_customer.selfcare_id)
    right = login_code(mailoutbox[-1])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    delta.watch(LOGIN, step="code", reason="code_wrong").watch(LOGIN, step="password", reason="wrong_password")

    client.post("/login/verify/", {"code": wrong})

    assert delta(LOGIN, step="code", reason="code_wrong") == 1
    assert delta(LOGIN, step="password", reason="wrong_password") == 0


def test_given_an_address_past_its_allowance_when_logging_in_then_counted_as_throttled(client, login_customer, delta):
    for _ in range(IP_FAILURES_ALLOWED):
        password_step(client, login_customer.selfcare_id, "not the password at all")
    delta.watch(LOGIN, step="throttle", reason="too_many_attempts")

    password_step(client, login_customer.selfcare_id)

    assert delta(LOGIN, step="throttle", reason="too_many_attempts") == 1


@pytest.fixture
def kamcmd(tmp_path, settings):
    """A stand-in kamcmd printing $KAMCMD_OUTPUT and exiting with $KAMCMD_STATUS (both files)."""
    output, status = tmp_path / "output", tmp_path / "status"
    output.write_text("")
    status.write_text("0")
    script = tmp_path / "kamcmd"
    script.write_text(f"#!/bin/sh\ncat {output}\nexit $(cat {status})\n")
    script.chmod(0o755)
    settings.SELFCARE_KAMCMD = str(script)
    settings.SELFCARE_REGISTRAR_CTL = "unixs:/run/kamailio/kamailio_ctl"
    return output, status


def test_given_kamailio_answering_refusing_or_absent_then_each_call_is_counted_by_outcome(kamcmd, settings, delta):
    output, status = kamcmd
    for outcome in ("ok", "refused", "unreachable"):
        delta.watch(REGISTRAR, command="ul.rm", outcome=outcome)
    delta.watch("selfcare_registrar_call_duration_seconds_count", command="ul.rm")

    control.registrations_drop(number="05012345678")
    output.write_text("error: 404 - AOR not found")
    control.registrations_drop(number="05012345678")  # no registration: an answer, not a failure
    output.write_text("error: 500 - Domain table not found")
    with pytest.raises(RegistrarUnreachable):
        control.registrations_drop(number="05012345678")
    status.write_text("1")
    with pytest.raises(RegistrarUnreachable):
        control.registrations_drop(number="05012345678")
    settings.SELFCARE_KAMCMD = "/nonexistent/kamcmd"
    with pytest.raises(RegistrarUnreachable):
        control.registrations_drop(number="05012345678")

    assert delta(REGISTRAR, command="ul.rm", outcome="ok") == 2
    assert delta(REGISTRAR, command="ul.rm", outcome="refused") == 1
    assert delta(REGISTRAR, command="ul.rm", outcome="unreachable") == 2
    assert delta("selfcare_registrar_call_duration_seconds_count", command="ul.rm") == 5


def test_given_no_control_socket_then_nothing_is_sent_and_nothing_counted(settings, delta):
    settings.SELFCARE_REGISTRAR_CTL = ""
    delta.watch(REGISTRAR, command="ul.rm", outcome="unreachable")

    with pytest.raises(RegistrarUnreachable):
        control.registrations_drop(number="05012345678")

    assert delta(REGISTRAR, command="ul.rm", outcome="unreachable") == 0
