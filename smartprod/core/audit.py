from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from smartprod.core.models import AuditEvent

if TYPE_CHECKING:
    from smartprod.tenancy.models import Cooperative


def audit_log(
    *,
    cooperative: Cooperative,
    actor: AbstractBaseUser | None,
    event: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what to which object; call inside the service's transaction."""
    return AuditEvent.objects.create(
        cooperative=cooperative,
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        event=event,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )
