"""The job decorator, its retry policy, enqueueing inside the change's transaction, effects done once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.db import IntegrityError, transaction
from django_tasks import task
from django_tasks.base import Task

from selfcare.core import clock

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """A failed attempt waits ``backoff_seconds`` × 2^(attempt-1) (at most ``backoff_max_seconds``) and runs again,
    until ``max_attempts`` attempts have failed; the job then stays failed for the staff to see and retry."""

    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0

    def delay_after(self, attempt: int) -> dt.timedelta:
        seconds = min(self.backoff_seconds * 2 ** max(attempt - 1, 0), self.backoff_max_seconds)
        return dt.timedelta(seconds=seconds)


POLICIES: dict[str, RetryPolicy] = {}
DEFAULT_POLICY = RetryPolicy()


class JobOutsideTransaction(RuntimeError):
    """A job enqueued outside a transaction would be committed apart from the change it belongs to."""


def job(
    *, max_attempts: int = 8, backoff_seconds: float = 30.0, backoff_max_seconds: float = 3600.0, priority: int = 0
) -> Callable[[Callable[P, T]], Task[P, T]]:
    """Make a function a durable job. Its arguments must be JSON values (ids, not objects; never a secret)."""
    policy = RetryPolicy(
        max_attempts=max_attempts, backoff_seconds=backoff_seconds, backoff_max_seconds=backoff_max_seconds
    )

    def decorate(func: Callable[P, T]) -> Task[P, T]:
        made: Task[P, T] = task(priority=priority)(func)
        POLICIES[made.module_path] = policy
        return made

    return decorate


def policy_of(task_path: str) -> RetryPolicy:
    return POLICIES.get(task_path, DEFAULT_POLICY)


def enqueue(made: Task[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> str:
    """Store the job in the current transaction and return its id; outside a transaction it is refused."""
    if not transaction.get_connection().in_atomic_block:
        raise JobOutsideTransaction(made.module_path)
    return str(made.enqueue(*args, **kwargs).id)


def effect_once(key: str, effect: Callable[[], None]) -> bool:
    """Carry out ``effect`` unless an effect with this key was already done; True when it ran now.

    The key is recorded in the transaction that runs the effect, so two workers never both do it
    (the second waits on the key's row and then finds it). The effect itself (an SMTP delivery)
    cannot be rolled back: were the process to die between the server's acceptance and the
    commit, the effect would be done again by the next attempt; a stable Message-ID lets the
    recipient's mail system recognise that copy.
    """
    from selfcare.jobs.models import Effect

    with transaction.atomic():
        try:
            with transaction.atomic():
                Effect.objects.create(key=key, done_at=clock.now())
        except IntegrityError:
            return False
        effect()
    return True
