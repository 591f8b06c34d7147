"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.extensions import db


def record(
    action: str,
    *,
    now: datetime,
    actor_user_id: int | None = None,
    actor_volunteer_id: int | None = None,
    activity_id: int | None = None,
    checkin_id: int | None = None,
    volunteer_id: int | None = None,
    old: Any = None,
    new: Any = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry (in the caller's transaction: it commits or rolls back with the change)."""
    entry = AuditEntry(
        action=action,
        at=now,
        actor_user_id=actor_user_id,
        actor_volunteer_id=actor_volunteer_id,
        activity_id=activity_id,
        checkin_id=checkin_id,
        volunteer_id=volunteer_id,
        old_value=old,
        new_value=new,
        reason=reason,
    )
    db.session.add(entry)
    return entry


def for_activity(activity_id: int) -> list[AuditEntry]:
    """An activity's entries, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.activity_id == activity_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def for_volunteer(volunteer_id: int) -> list[AuditEntry]:
    """Entries about one volunteer's records, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.volunteer_id == volunteer_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def for_volunteers(volunteer_ids: list[int]) -> list[AuditEntry]:
    """Entries about any of several volunteers (a household), oldest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.volunteer_id.in_(volunteer_ids))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
