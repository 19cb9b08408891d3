from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from smartprod.core.models import AuditEvent

if TYPE_CHECKING:
    from members.models import Cooperative, User


def audit_log(
    *,
    cooperative: Cooperative,
    actor: User | None,
    event: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what to which object; call inside the service's transaction."""
    return AuditEvent.objects.create(
        cooperative=cooperative,
        actor=actor if actor is not None and actor.is_authenticated else None,
        event=event,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )
