"""Who acts, and the audit record every state change leaves (invariant 8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction

from selfcare.audit.models import AuditEntry
from selfcare.core import clock


class User(Protocol):
    """A staff user as the log sees one (the log knows accounts' models only by name)."""

    @property
    def pk(self) -> Any: ...

    def get_username(self) -> str: ...


class Customer(Protocol):
    """A customer as the log sees one."""

    @property
    def pk(self) -> Any: ...

    @property
    def selfcare_id(self) -> str: ...

    @property
    def user_id(self) -> Any: ...


@dataclass(frozen=True)
class Actor:
    kind: str
    label: str
    user_id: int | None = None
    ip_address: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind=AuditEntry.ActorKind.SYSTEM, label=label)

    @classmethod
    def staff(cls, user: User, ip_address: str | None = None) -> Actor:
        return cls(kind=AuditEntry.ActorKind.STAFF, label=user.get_username(), user_id=user.pk, ip_address=ip_address)

    @classmethod
    def customer(cls, customer: Customer, ip_address: str | None = None) -> Actor:
        return cls(
            kind=AuditEntry.ActorKind.CUSTOMER,
            label=customer.selfcare_id,
            user_id=customer.user_id,
            ip_address=ip_address,
        )


def actor_to_json(actor: Actor) -> dict[str, Any]:
    """The actor as a job's argument (a JSON object), so the job's audit entries name who asked for it."""
    return {"kind": actor.kind, "label": actor.label, "user_id": actor.user_id, "ip_address": actor.ip_address}


def actor_from_json(value: dict[str, Any]) -> Actor:
    return Actor(
        kind=str(value["kind"]),
        label=str(value["label"]),
        user_id=value.get("user_id"),
        ip_address=value.get("ip_address"),
    )


def audit_record(
    *,
    actor: Actor,
    action: str,
    customer: Customer | None = None,
    customer_id: int | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction (so it commits or rolls back with the change)."""
    return AuditEntry.objects.create(
        at=clock.now(),
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:150],
        ip_address=actor.ip_address,
        action=action,
        customer_id=customer.pk if customer is not None else customer_id,
        target=target[:128],
        detail=detail or {},
    )


def audit_refusal(**kwargs: Any) -> AuditEntry:
    """Record a refused request. Runs in its own transaction: the refused change was rolled back."""
    with transaction.atomic():
        return audit_record(**kwargs)
