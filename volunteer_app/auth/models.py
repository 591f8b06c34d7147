"""Organizer accounts and roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from volunteer_app.database import str_enum, utcnow
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit


class Role(enum.StrEnum):
    """What an organizer may manage: everything, a centre with its stations, or one station."""

    DISTRICT_ADMIN = "district_admin"
    CENTRE_ORGANIZER = "centre_organizer"
    STATION_ORGANIZER = "station_organizer"


class User(UserMixin, db.Model):
    """An organizer account (volunteers have no password; see volunteers.models)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    #: The unit the account manages: the district for an admin, a centre or a station otherwise.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()

    def set_password(self, password: str) -> None:
        """Hash and store a new password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Tell whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"
