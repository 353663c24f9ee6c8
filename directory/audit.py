"""The audit log: who did what, to which record, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from directory.models import AuditEvent, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: object,
    **details: Any,
) -> AuditEvent:
    """Add an audit event in the caller's transaction (so it exists only if the change does).

    ``action`` is a verb phrase like ``"user.approve"``; ``details`` must not contain
    passwords, tokens or anything about patients.
    """
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
    session.add(event)
    session.flush()
    return event
