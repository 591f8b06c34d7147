"""Organisational units: the district centre, its practice centres and their stations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_app.database import str_enum, utcnow
from volunteer_app.extensions import db

#: Longest values of the unit's own fields (forms and columns agree).
NAME_MAX, ADDRESS_MAX, CONTACT_MAX, PHONE_MAX, INTRO_MAX = 100, 200, 50, 20, 500


class UnitLevel(enum.StrEnum):
    """Level of a unit in the practice network (中心 → 所 → 站)."""

    DISTRICT = "district"  # 新时代文明实践中心 (county / district)
    CENTRE = "centre"  # 新时代文明实践所 (town / sub-district)
    STATION = "station"  # 新时代文明实践站 or a unit's volunteer team


class Unit(db.Model):
    """A node of the practice network; activities and organizers belong to one."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    level: Mapped[UnitLevel] = mapped_column(str_enum(UnitLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Where the unit is, and whom residents and the level above call (shown masked except
    #: on the unit's own page).
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="", server_default=text("''"))
    contact_name: Mapped[str] = mapped_column(
        String(CONTACT_MAX), default="", server_default=text("''")
    )
    contact_phone: Mapped[str] = mapped_column(
        String(PHONE_MAX), default="", server_default=text("''")
    )
    #: A short introduction of the unit.
    intro: Mapped[str] = mapped_column(String(INTRO_MAX), default="", server_default=text("''"))
    #: Set when the unit stops working: it keeps its history, reports and certificates but
    #: takes no new activities and no new units below it.
    archived_at: Mapped[datetime | None]

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    @property
    def is_archived(self) -> bool:
        """Whether the unit has been archived (no new activities or units under it)."""
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.level.value} {self.name}>"
