"""Backups that are proven: a base backup (pg_basebackup, checked by pg_verifybackup) and the WAL
archived continuously (archive_command), restored into fresh clusters, to a noted time and to a named
restore point. Each restore holds exactly the applications placed before its target, with their
numbers, and ``check_invariants`` passes on it. The commands are docs/operations.md's.
"""

from __future__ import annotations

import pytest

from loadtests import pgcluster
from loadtests.client import Browser, numbers_on
from loadtests.conftest import logged_in, write_artifact
from loadtests.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres]


def apply_once_each(customers: list[Browser], count: int) -> dict[str, list[str]]:
    """Each customer adds ``count`` numbers: the applications shown completed, with their numbers."""
    shown = {}
    for customer in customers:
        outcome = customer.add_numbers(count)
        assert outcome.application_number, (outcome.status, outcome.url)
        shown[outcome.application_number] = numbers_on(outcome)
    return shown


def applications_on(stack: Stack, node: pgcluster.PostgresNode) -> dict[str, list[str]]:
    rows = stack.sql(
        "SELECT a.application_number, l.number FROM orders_application a "
        "JOIN orders_issuedline l ON l.application_id = a.id ORDER BY 1, 2",
        database_url=node.url("selfcare"),
    )
    held: dict[str, list[str]] = {}
    for application_number, number in rows:
        held.setdefault(application_number, []).append(number)
    return held


def assert_checks_pass(stack: Stack, node: pgcluster.PostgresNode) -> None:
    check = stack.manage("check_invariants", database_url=node.url("selfcare"), check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_restores_to_a_noted_time_and_to_a_restore_point_hold_exactly_the_applications_before_it(make_stack):
    stack: Stack = make_stack(customers=4, pool=1000, archive=True)
    primary = stack.pg
    customers = [logged_in(stack, index) for index in range(1, 5)]
    pgcluster.commands.clear()
    before_backup = apply_once_each(customers, 2)
    backup = stack.base / "backups" / "base"
    pgcluster.base_backup(primary, backup)
    first = apply_once_each(customers, 3)
    noted = primary.psql("SELECT clock_timestamp()")  # the operator notes the time
    second = apply_once_each(customers, 1)
    primary.psql("SELECT pg_create_restore_point('before-third')")
    third = apply_once_each(customers, 2)
    pgcluster.archive_current_wal(primary)

    to_time = stack.new_node("restored-to-time")
    pgcluster.restore(backup, to_time, f"recovery_target_time = '{noted}'")
    to_point = stack.new_node("restored-to-point")
    pgcluster.restore(backup, to_point, "recovery_target_name = 'before-third'")

    live = applications_on(stack, primary)
    assert live == before_backup | first | second | third
    # Exactly the applications placed before the noted time, each with the numbers its customer saw.
    assert applications_on(stack, to_time) == before_backup | first
    placed_before = stack.sql("SELECT application_number FROM orders_application WHERE placed_at <= %s", (noted,))
    assert {row[0] for row in placed_before} == set(before_backup | first)
    assert_checks_pass(stack, to_time)
    assert applications_on(stack, to_point) == before_backup | first | second
    assert_checks_pass(stack, to_point)
    # The restores are clusters of their own, taking writes; the live primary went on untouched.
    assert not to_time.in_recovery() and not to_point.in_recovery()
    assert applications_on(stack, primary) == live
    write_artifact(
        "backup-restore.json",
        {
            "applications": {"before backup": len(before_backup), "first": len(first), "second": len(second)},
            "noted_time": noted,
            "commands": list(pgcluster.commands),
        },
    )
