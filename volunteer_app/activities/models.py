"""Activities, their categories, and volunteers' sign-ups for them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_app.codes import new_key
from volunteer_app.database import str_enum, utcnow
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team
from volunteer_app.volunteers.models import Volunteer


def new_kiosk_key() -> str:
    """A fresh random key for an activity's kiosk link (longer: it is never typed)."""
    return new_key(16)


class ActivityStatus(enum.StrEnum):
    """Lifecycle of an activity: draft → published → finished, or cancelled."""

    DRAFT = "draft"
    PUBLISHED = "published"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Category(db.Model):
    """A kind of service (健康服务, 环境整治, ...); names in both UI languages."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable identifier used by seeds, reports and the API (e.g. "health").
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(default=0)

    def display_name(self, locale: str) -> str:
        """Name in the given UI language (Chinese unless it is English)."""
        return self.name_en if locale.startswith("en") else self.name_zh


class Activity(db.Model):
    """A volunteer activity held by a unit at a place and time."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("rotate_seconds >= 10", name="rotate_seconds_min"),
        Index("ix_activities_unit_starts", "unit_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: Expected number of volunteers; informative only (nobody is turned away).
    capacity: Mapped[int | None]
    status: Mapped[ActivityStatus] = mapped_column(
        str_enum(ActivityStatus),
        default=ActivityStatus.PUBLISHED,
    )
    #: Projector mode: the on-screen QR changes every this many seconds (tokens live ~2×).
    rotate_seconds: Mapped[int] = mapped_column(default=30, server_default=text("30"))
    #: Whether the printed (static) poster code is accepted, or only the projector's codes.
    allow_static_code: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: Random key carried by the check-in QR codes (checkins/tokens.py, version 2); renewing
    #: it kills every code made from the old one. Set on every insert (and for older rows by
    #: migration 0003); the column is nullable only because SQLite cannot add a NOT NULL
    #: column to a table without rebuilding it.
    checkin_key: Mapped[str] = mapped_column(
        String(43), nullable=True, unique=True, index=True, default=new_key
    )
    #: Random key carried by the kiosk link ``/k/…``; renewing it ends every link given out.
    kiosk_key: Mapped[str] = mapped_column(
        String(43), nullable=True, unique=True, index=True, default=new_kiosk_key
    )
    #: The activity existed before version 2 tokens: its id-based (version 1) codes are still
    #: accepted until its check-out window ends, unless its code was renewed since.
    accepts_v1_tokens: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The team that runs the activity (shown on the poster, the projector and the records);
    #: its leaders may run the activity's check-in.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    #: Sign-ups limited to the team's members (指定志愿队伍招募); needs ``team_id``.
    members_only: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[Unit] = relationship()
    category: Mapped[Category] = relationship()
    team: Mapped[Team | None] = relationship()

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.title!r}>"


class Signup(db.Model):
    """A volunteer's sign-up for an upcoming activity; cancelling keeps the row."""

    __tablename__ = "signups"
    __table_args__ = (UniqueConstraint("activity_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the volunteer cancels; signing up again clears it.
    cancelled_at: Mapped[datetime | None]

    activity: Mapped[Activity] = relationship()
    volunteer: Mapped[Volunteer] = relationship()
