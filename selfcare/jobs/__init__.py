"""Durable background jobs: enqueued in the transaction of the change that needs them, run by a worker.

Django's task framework (the ``django-tasks`` backport of Django 6's ``django.tasks``) with its
database backend (``django-tasks-db``) stores each job as a row, so a job is committed or rolled
back with the change that enqueued it. This package adds what the library leaves to its users:
retries with backoff, jobs of a lost worker given to another, periodic jobs scheduled by the
worker itself, and effects done once (``effect_once``). See docs/operations.md, *Jobs*.

    from selfcare.jobs import enqueue, job

    @job(max_attempts=8)
    def webhook_deliver(delivery_id: int) -> None: ...

    with transaction.atomic():
        ...  # the change
        enqueue(webhook_deliver, delivery_id=delivery.pk)  # refused outside a transaction
"""

from selfcare.jobs.registry import JobOutsideTransaction, RetryPolicy, effect_once, enqueue, job

__all__ = ["JobOutsideTransaction", "RetryPolicy", "effect_once", "enqueue", "job"]
