"""Writing audit entries. Callers pass any actor object with an ``id`` (or None)."""

from __future__ import annotations

from typing import Any

from marketplace.audit.models import AuditLog
from marketplace.extensions import db


def record(
    *, actor: Any, action: str, target_type: str, target_id: int | None, **details
) -> AuditLog:
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
    db.session.add(entry)
    return entry
