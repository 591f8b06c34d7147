"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from volunteer_app.audit.models import AuditEntry, AuditPersonal
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
    personal: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (in the caller's transaction: it commits or rolls back with the change).

    ``personal`` holds what the entry says about ``volunteer_id`` in free text or by name (a
    walk-in's name, a typed reason): it is kept beside the entry, in ``audit_personal``, so
    that deleting the volunteer's account can erase it without changing the entry. ``reason``
    is for texts that are no one's personal data. Both rows go in the same flush.
    """
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
    if personal:
        if volunteer_id is None:
            raise ValueError("personal values need the volunteer they are about")
        entry.personal = AuditPersonal(volunteer_id=volunteer_id, data=personal)
    db.session.add(entry)
    return entry


def erase_personal(volunteer_id: int, *, now: datetime) -> int:
    """Erase every personal value the log holds about a volunteer (PIPL deletion); how many.

    The entries themselves stay as they are: only their ``audit_personal`` rows lose their
    data, through a Core UPDATE that never touches ``audit_entries``.
    """
    result = db.session.execute(
        update(AuditPersonal)
        .where(AuditPersonal.volunteer_id == volunteer_id, AuditPersonal.data.is_not(None))
        .values(data=None, erased_at=now)
    )
    return result.rowcount


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
