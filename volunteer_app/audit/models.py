"""The audit log tables.

``audit_entries`` rows are written once and never changed or deleted. What an entry says
about a person in their own words or an organizer's (a walk-in's name, the reason of a
correction or an adjustment) is not in the entry but in its ``audit_personal`` row, which
a PIPL deletion erases: the log stays append-only and still forgets the person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    #: A reason that is no one's personal data ("not checked out"); typed reasons about a
    #: person are in ``personal``.
    reason: Mapped[str] = mapped_column(Text, default="")

    #: The personal values of the entry, if it has any (see AuditPersonal).
    personal: Mapped[AuditPersonal | None] = relationship(lazy="selectin")

    def personal_value(self, key: str) -> str | None:
        """A personal value of the entry: the text, "" if it has none, None once erased."""
        if self.personal is None:
            return ""
        if self.personal.data is None:
            return None
        return self.personal.data.get(key, "")


class AuditPersonal(db.Model):
    """The personal values of one audit entry, about one volunteer.

    Written with the entry; a deletion of the volunteer's account sets ``data`` to None and
    ``erased_at`` (volunteers.privacy), so pages can say the text is gone, and why.
    """

    __tablename__ = "audit_personal"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), primary_key=True)
    #: Whose personal data this is: the volunteer whose deletion erases it.
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    #: E.g. {"name": "李秀英"} of a walk-in, {"reason": "…"} of a correction; None once erased.
    data: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    erased_at: Mapped[datetime | None]


class AuditLogIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or delete an audit entry through the ORM."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly("audit entries are never changed or deleted")
