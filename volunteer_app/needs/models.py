"""Residents' orders (点单) and their cycle: 审单 → 派单 → 接单 → 服务 → 评单.

A resident, or a station worker or 网格员 on their behalf, orders a service from a station
(``station_id``). The unit that holds the order (``unit_id``) reviews it: it rejects it,
accepts it, or passes it up the tree (上报), which moves ``unit_id`` to the unit above. An
accepted order is dispatched to a team (派单) with a deadline; the team's leader or an
organizer takes it (接单), which creates the activity it is served by (``activity_id``), or
declines it with a reason, which hands it back for another dispatch. Once served, the
team completes it (办结) and the resident rates it (评单). Before it is taken the resident
may withdraw it (撤单) and, once a day, urge it (催单).

Every transition is a row of ``need_events`` (who, when, from and to, a note); the status
machine itself is the pure rules of ``needs/rules.py``. The resident reaches their order by
its tracking link, which carries the random ``tracking_key`` sealed with the app's secret,
never the id. The contact's name, phone and the exact address are personal data: masked
or left out everywhere but for the organizers handling the order (docs/security.md).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_app.activities.models import Activity, Category
from volunteer_app.codes import new_key
from volunteer_app.database import str_enum, utcnow
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team

#: Longest values of an order's fields (forms and columns agree; the platforms' limits).
TITLE_MAX, DESCRIPTION_MAX, NOTES_MAX, ADDRESS_MAX = 30, 200, 200, 200
CONTACT_MAX, PHONE_MAX, REASON_MAX, COMMENT_MAX = 50, 20, 200, 200


class NeedStatus(enum.StrEnum):
    """Where an order stands (the Chinese names are the platforms')."""

    SUBMITTED = "submitted"  # 待受理
    REJECTED = "rejected"  # 已拒绝 (the reason is shown to the resident only)
    ACCEPTED = "accepted"  # 已受理, waiting for a dispatch (again, after a decline)
    ESCALATED = "escalated"  # 已上报: passed to the unit above, which reviews it anew
    DISPATCHED = "dispatched"  # 已派单 to a team, with a deadline to take it
    TAKEN = "taken"  # 已接单: the team took it; its activity exists
    IN_SERVICE = "in_service"  # 服务中: its activity is running
    COMPLETED = "completed"  # 已办结
    RATED = "rated"  # 已评单
    WITHDRAWN = "withdrawn"  # 已撤单 by the resident, before it was taken


class DayPart(enum.StrEnum):
    """The optional time of day the resident would like."""

    MORNING = "morning"  # 上午
    AFTERNOON = "afternoon"  # 下午
    EVENING = "evening"  # 晚上


def new_tracking_key() -> str:
    """A fresh random key for an order's tracking link."""
    return new_key()


class ServiceItem(db.Model):
    """An item of a centre's service menu (服务菜单 / 项目库) that a team offers."""

    __tablename__ = "service_items"
    __table_args__ = (CheckConstraint("remaining IS NULL OR remaining >= 0", name="remaining_ok"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The centre (or district, or station) whose menu lists it; its organizers manage it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX), default="")
    #: Whom it serves: a service-object code of the national table (03 老年人, 01 儿童 …).
    audience: Mapped[str] = mapped_column(String(2), default="11")
    #: Times it can still be booked; None is unlimited. An order from the menu takes one.
    remaining: Mapped[int | None]
    #: Set when it leaves the menu; orders made from it keep it.
    withdrawn_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    team: Mapped[Team] = relationship()
    category: Mapped[Category] = relationship()


class Need(db.Model):
    """A resident's order of a service (点单)."""

    __tablename__ = "needs"
    __table_args__ = (
        Index("ix_needs_unit_status", "unit_id", "status"),
        Index("ix_needs_station_created", "station_id", "created_at"),
        CheckConstraint(
            "expected_minutes IS NULL OR expected_minutes > 0", name="expected_minutes_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random key carried by the resident's tracking link (sealed, never the id).
    tracking_key: Mapped[str] = mapped_column(String(43), unique=True, default=new_tracking_key)
    #: The station the resident ordered from (chosen from the tree, preselected by a poster).
    station_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: The unit that holds the order now: the station, or a unit above after 上报.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    status: Mapped[NeedStatus] = mapped_column(str_enum(NeedStatus, 16))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    menu_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX), default="")
    #: The exact address: for the organizers handling it and the team, never public.
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    wanted_date: Mapped[date | None]
    wanted_part: Mapped[DayPart | None] = mapped_column(str_enum(DayPart, 16), nullable=True)
    expected_minutes: Mapped[int | None]
    notes: Mapped[str] = mapped_column(String(NOTES_MAX), default="")
    contact_name: Mapped[str] = mapped_column(String(CONTACT_MAX))
    contact_phone: Mapped[str] = mapped_column(String(PHONE_MAX))
    #: Placed on the resident's behalf (代点单) by this organizer; who did it is also logged.
    proxy_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Who placed a proxy order in words (e.g. "网格员 王芳"), shown to the organizers.
    proxy_note: Mapped[str] = mapped_column(String(CONTACT_MAX), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    #: The team must take (or decline) the order by then, once dispatched.
    take_by: Mapped[datetime | None]
    #: Why it was rejected: shown to the resident alone, never on the public board.
    rejection_reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    completion_note: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the status last changed (the queue's "waiting since").
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    taken_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    #: The resident's last 催单 (at most one a day).
    urged_at: Mapped[datetime | None]
    #: Set when the resident's personal data was erased (PIPL): name, phone, address blank.
    erased_at: Mapped[datetime | None]

    station: Mapped[Unit] = relationship(foreign_keys=[station_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    category: Mapped[Category] = relationship()
    team: Mapped[Team | None] = relationship()
    activity: Mapped[Activity | None] = relationship()
    menu_item: Mapped[ServiceItem | None] = relationship()
    rating: Mapped[NeedRating | None] = relationship(back_populates="need", uselist=False)

    @property
    def is_proxy(self) -> bool:
        """Whether someone ordered on the resident's behalf (代点单)."""
        return self.proxy_user_id is not None

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.status.value}>"


class NeedEvent(db.Model):
    """One step of an order's log: a transition, or a 催单, with who, when and a note."""

    __tablename__ = "need_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    #: The rule's name of the step (submit, accept, reject, escalate, dispatch, take, …).
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[NeedStatus | None] = mapped_column(str_enum(NeedStatus, 16), nullable=True)
    to_status: Mapped[NeedStatus] = mapped_column(str_enum(NeedStatus, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who took the step: an organizer, a team leader (a volunteer), or the resident
    #: (both None and ``by_resident``), or the app itself (both None, not by the resident).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    by_resident: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The unit that held the order after the step (escalations climb the tree).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    note: Mapped[str] = mapped_column(String(REASON_MAX), default="")

    need: Mapped[Need] = relationship()


class NeedRating(db.Model):
    """The resident's rating of a completed order (评单): one per order."""

    __tablename__ = "need_ratings"
    __table_args__ = (
        CheckConstraint("quality BETWEEN 1 AND 5", name="quality_range"),
        CheckConstraint("attitude BETWEEN 1 AND 5", name="attitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), unique=True)
    #: 服务质量 and 服务态度, 1–5 stars each.
    quality: Mapped[int]
    attitude: Mapped[int]
    comment: Mapped[str] = mapped_column(String(COMMENT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    need: Mapped[Need] = relationship(back_populates="rating")


class NeedPolicy(db.Model):
    """A centre's deadlines for its orders (no national value exists; docs/needs.md)."""

    __tablename__ = "need_policies"

    #: The centre (or the district) whose stations' orders it governs.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    #: Hours to review a new order (受理) before it is flagged overdue.
    respond_hours: Mapped[int] = mapped_column(default=24, server_default=text("24"))
    #: Hours to dispatch an accepted order before it is flagged overdue.
    dispatch_hours: Mapped[int] = mapped_column(default=48, server_default=text("48"))
    #: Hours a team has to take a dispatched order (the default deadline of a dispatch).
    take_hours: Mapped[int] = mapped_column(default=48, server_default=text("48"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
