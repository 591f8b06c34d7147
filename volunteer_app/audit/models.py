"""The audit log table. Rows are written once and never changed or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_app.database import utcnow
from volunteer_app.extensions import db


class AuditEntry(db.Model):
    """One change to a record that hours, star levels or certificates rest on."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_activity_at", "activity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Stable code of what happened, e.g. "hours.adjust", "hours.confirm", "correction.accept".
    action: Mapped[str] = mapped_column(String(64))
    #: The organizer who did it (None when a volunteer or the system did).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The volunteer who did it (a correction request), if any.
    actor_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    old_value: Mapped[Any | None] = mapped_column(JSON)
    new_value: Mapped[Any | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")


class AuditLogIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or delete an audit entry through the ORM."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly("audit entries are never changed or deleted")
