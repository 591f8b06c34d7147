"""Attendance records (one per volunteer and activity) and requests to correct them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    relationship,
    with_loader_criteria,
)

from volunteer_app.activities.models import Activity
from volunteer_app.auth.models import User
from volunteer_app.database import str_enum, utcnow
from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Volunteer


class HoursOrigin(enum.StrEnum):
    """Where the hours of a record come from."""

    SCAN = "scan"  # the volunteer's own check-in and check-out
    ORGANIZER = "organizer"  # entered or changed by an organizer


class HoursStatus(enum.StrEnum):
    """Whether the hours count yet: only confirmed hours count toward star levels."""

    PENDING = "pending"
    CONFIRMED = "confirmed"


class CheckIn(db.Model):
    """A volunteer's attendance at an activity, with the hours it earns.

    The unique constraint on (activity, volunteer) is what guarantees that two
    concurrent scans never make two records; the service relies on it.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("activity_id", "volunteer_id"),
        CheckConstraint("minutes >= 0", name="minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    checked_in_at: Mapped[datetime]
    checked_out_at: Mapped[datetime | None]
    #: Credited service time in minutes (a multiple of 30; see checkins.rules.compute_minutes).
    minutes: Mapped[int] = mapped_column(default=0)
    origin: Mapped[HoursOrigin] = mapped_column(str_enum(HoursOrigin), default=HoursOrigin.SCAN)
    status: Mapped[HoursStatus] = mapped_column(str_enum(HoursStatus), default=HoursStatus.PENDING)
    #: The organizer who recorded it on the volunteer's behalf, if not a self scan.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set when the hours need an organizer's look before confirmation: the record was
    #: closed at the end because nobody checked out, or presence was below the minimum.
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Made by the volunteer's own scan (the check-in page, the API's self-scan), not by an
    #: organizer. Never changes afterwards: it says the volunteer came to this unit themselves.
    self_made: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Set when an organizer voided the record (junk, a test): it then counts nowhere, but
    #: stays, shown struck through with ``void_reason``; restoring clears both.
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))

    activity: Mapped[Activity] = relationship()
    volunteer: Mapped[Volunteer] = relationship()

    @property
    def hours(self) -> float:
        """Credited hours (minutes / 60)."""
        return self.minutes / 60

    @property
    def by_team_leader(self) -> bool:
        """Whether a team leader recorded it on the volunteer's behalf: made for them
        (origin ``organizer``) by no organizer. Every organizer's path sets
        ``recorded_by_id`` (checkins.organizer.record_on_behalf, the hours review, the
        corrections); the leader's leaves it empty, the audit entry naming the leader."""
        return self.origin == HoursOrigin.ORGANIZER and self.recorded_by_id is None


#: Execution option that lets a query see voided records (the organizer's struck-through
#: list, restoring one): ``select(...).execution_options(include_voided=True)``.
INCLUDE_VOIDED = "include_voided"


@event.listens_for(Session, "do_orm_execute")
def _live_records_only(state: ORMExecuteState) -> None:
    """Every ORM SELECT sees only live (not voided) records, wherever ``CheckIn`` appears:
    counts, hours, stars, certificates, the projector, exports, overlaps. A voided record
    is history, kept and audited, but counts nowhere. Loading a relationship (a
    correction's record) still finds it, so history pages keep working."""
    if (
        state.is_select
        and not state.is_relationship_load
        and not state.execution_options.get(INCLUDE_VOIDED, False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(CheckIn, lambda cls: cls.voided_at.is_(None), include_aliases=True)
        )


class CorrectionStatus(enum.StrEnum):
    """Where a correction request stands."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Correction(db.Model):
    """A volunteer's request to correct one record (Art. 13), and the organizer's answer."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    #: The times the volunteer says are right (aware UTC); either may be left as recorded.
    proposed_in_at: Mapped[datetime | None]
    proposed_out_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[CorrectionStatus] = mapped_column(
        str_enum(CorrectionStatus), default=CorrectionStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    #: Credited minutes before and after the decision (equal when declined).
    old_minutes: Mapped[int | None]
    new_minutes: Mapped[int | None]

    record: Mapped[CheckIn] = relationship()
    decided_by: Mapped[User | None] = relationship()
