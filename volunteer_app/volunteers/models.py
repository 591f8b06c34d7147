"""Volunteers and the devices that remember them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import utcnow
from ..extensions import db


class Volunteer(db.Model):
    """A person who serves; identified by a mainland mobile number."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    #: 11-digit mainland mobile number; personal data, shown masked to others.
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    #: Version of the consent text accepted, and when (PIPL).
    consent_version: Mapped[str] = mapped_column(String(20))
    consented_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    devices: Mapped[list[Device]] = relationship(back_populates="volunteer")

    def __repr__(self) -> str:
        return f"<Volunteer {self.id}>"


class Device(db.Model):
    """A browser that remembers a volunteer through a long-lived signed cookie.

    The cookie carries the device's random key, never the volunteer's id alone, so a
    device can be listed and signed out without touching the others.
    """

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    #: Random key (token_urlsafe) stored in the signed cookie.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    volunteer: Mapped[Volunteer] = relationship(back_populates="devices")
