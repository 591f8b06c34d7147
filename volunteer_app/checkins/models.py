"""Attendance records: one per volunteer and activity."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..activities.models import Activity
from ..database import str_enum
from ..extensions import db
from ..volunteers.models import Volunteer


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

    activity: Mapped[Activity] = relationship()
    volunteer: Mapped[Volunteer] = relationship()

    @property
    def hours(self) -> float:
        """Credited hours (minutes / 60)."""
        return self.minutes / 60
