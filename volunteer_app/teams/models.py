"""Volunteer teams (志愿服务队): hosted by a unit, joined by volunteers, led by leaders.

A team belongs to a station or a centre (``unit_id``), which manages it like its
activities. Volunteers join it by its join link or code, or are added by an organizer or a
leader; a membership row is kept for each (team, volunteer) pair and changes status rather
than being deleted, so "who was a member when" stays answerable. Leaders (队长) are members
named by an organizer; they sign in as volunteers and may run check-in for the team's
activities only (docs/security.md, "Team leaders").

The national code tables (../shared/NATIONAL-CODES.md, "Teams") give the team's kind, its
host unit's type and its join mode; the values stored are the national codes.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_app.codes import new_key
from volunteer_app.database import str_enum, utcnow
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit
from volunteer_app.volunteers.models import Volunteer

if TYPE_CHECKING:  # the categories table sits in the activities area, above this one
    from volunteer_app.activities.models import Category

#: Longest values of the team's fields (forms and columns agree).
NAME_MAX, HOST_NAME_MAX, CONTACT_MAX, PHONE_MAX, INTRO_MAX = 100, 100, 50, 20, 500
#: A team lists at most this many service categories (national rule, as for activities).
MAX_CATEGORIES = 4
#: Length of a join code (免审密码) a team may set; digits and letters.
JOIN_CODE_MIN, JOIN_CODE_MAX = 4, 12


class TeamKind(enum.StrEnum):
    """The team's kind, as the national system codes it."""

    GROUP = "1"  # 志愿服务团体: approved by a unit or community, not registered
    ORGANIZATION = "2"  # 志愿服务组织: registered with 民政
    LEGAL_PERSON = "3"  # 其他开展志愿服务活动的法人组织


class HostType(enum.StrEnum):
    """The type of the unit that hosts (approved) the team (同意其成立的单位类型)."""

    PARTY_GOVERNMENT = "01"  # 党政机关
    EDUCATION = "02"  # 教育事业单位
    HEALTH = "03"  # 卫生事业单位
    SCIENCE = "04"  # 科技事业单位
    CULTURE = "05"  # 文化事业单位
    WELFARE = "06"  # 社会福利事业单位
    OTHER_PUBLIC = "07"  # 其他事业单位
    MASS_ORGANIZATION = "08"  # 群团组织
    RESIDENTS_COMMITTEE = "09"  # 居民委员会
    VILLAGERS_COMMITTEE = "10"  # 村民委员会
    STATE_ENTERPRISE = "11"  # 国有企业
    PRIVATE_ENTERPRISE = "12"  # 非国有企业
    SOCIAL_GROUP = "13"  # 社会团体
    SOCIAL_SERVICE = "14"  # 社会服务机构
    FOUNDATION = "15"  # 基金会
    SOCIAL_ORGANIZATION = "16"  # 社会组织
    OTHER = "99"  # 其他


class JoinMode(enum.StrEnum):
    """How a volunteer joins the team (national join modes 1–4)."""

    APPROVAL = "1"  # 申请加入需审核: a leader or organizer approves
    OPEN = "2"  # 允许加入无需审核
    CLOSED = "3"  # 拒绝任何人加入: only an organizer or leader adds members
    CODE = "4"  # 免审密码加入: whoever knows the team's join code joins at once


class MemberStatus(enum.StrEnum):
    """Where a membership stands; rows change status and are never deleted."""

    PENDING = "pending"  # asked to join, awaiting approval
    ACTIVE = "active"  # a member (正式成员)
    REJECTED = "rejected"  # the request was turned down
    LEFT = "left"  # the volunteer left
    REMOVED = "removed"  # a leader or organizer removed them


def new_join_key() -> str:
    """A fresh random key for a team's join link and card."""
    return new_key()


team_categories = Table(
    "team_categories",
    db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Team(db.Model):
    """A volunteer team (志愿服务队) of a unit."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The station or centre the team belongs to (its 阵地); its organizers manage it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    kind: Mapped[TeamKind] = mapped_column(str_enum(TeamKind, 2))
    host_type: Mapped[HostType] = mapped_column(str_enum(HostType, 2))
    #: The host unit's name, e.g. 万福社区卫生服务中心.
    host_name: Mapped[str] = mapped_column(String(HOST_NAME_MAX), default="")
    contact_name: Mapped[str] = mapped_column(String(CONTACT_MAX), default="")
    #: Shown masked except on the team's detail page for its organizers.
    contact_phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="")
    intro: Mapped[str] = mapped_column(String(INTRO_MAX), default="")
    join_mode: Mapped[JoinMode] = mapped_column(str_enum(JoinMode, 2), default=JoinMode.APPROVAL)
    #: The join code of ``JoinMode.CODE`` (免审密码); empty in the other modes.
    join_code: Mapped[str] = mapped_column(String(JOIN_CODE_MAX), default="")
    #: Random key carried by the join link and card; renewing it ends the links given out.
    join_key: Mapped[str] = mapped_column(String(43), unique=True, default=new_join_key)
    #: Set when an organizer disables the team: it keeps its history and members but takes
    #: no new members and no new activities, and its leaders lose their check-in powers.
    disabled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    categories: Mapped[list[Category]] = relationship(
        secondary=team_categories, order_by="Category.sort_order"
    )

    @property
    def is_active(self) -> bool:
        """Whether the team is active (not disabled)."""
        return self.disabled_at is None

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


class TeamMember(db.Model):
    """A volunteer's membership of a team, one row per pair whatever its history."""

    __tablename__ = "team_members"
    __table_args__ = (
        UniqueConstraint("team_id", "volunteer_id"),
        Index("ix_team_members_volunteer_status", "volunteer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    status: Mapped[MemberStatus] = mapped_column(str_enum(MemberStatus, 16))
    #: A leader (队长) runs check-in for the team's activities; only an organizer names one.
    is_leader: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: When the membership last changed status (joined, asked, left, removed).
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The organizer who added, approved or removed them, when it was one.
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The leader (a volunteer) who added, approved or removed them, when it was one.
    changed_by_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))

    team: Mapped[Team] = relationship()
    volunteer: Mapped[Volunteer] = relationship(foreign_keys=[volunteer_id])

    @property
    def is_active(self) -> bool:
        """Whether the volunteer is a member now."""
        return self.status == MemberStatus.ACTIVE
