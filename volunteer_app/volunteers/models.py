"""Volunteers and the devices that remember them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_app.database import utcnow
from volunteer_app.extensions import db


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
    #: Hash of the volunteer's 4–6 digit PIN; None for people registered by an organizer or
    #: by the demo seed, who must get a one-time code in person before any new device can
    #: claim the number (see docs/security.md).
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    pin_set_at: Mapped[datetime | None]
    #: Hash of a one-time code an organizer handed over in person (PIN reset or first PIN).
    setup_code_hash: Mapped[str | None] = mapped_column(String(256))
    setup_code_expires_at: Mapped[datetime | None]
    #: Set when the volunteer deleted their account: name and phone are then placeholders
    #: (see volunteers.privacy), the records stay so station totals remain right.
    deleted_at: Mapped[datetime | None]

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


class PinThrottle(db.Model):
    """Failed PIN attempts for one phone number, known or not (temporary lockout).

    Keyed by an HMAC of the number so unknown numbers are throttled exactly like known
    ones (no enumeration) without storing the numbers strangers typed.
    """

    __tablename__ = "pin_throttles"

    #: hex HMAC-SHA256 of the normalised phone number, keyed with SECRET_KEY.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Certificate(db.Model):
    """A 志愿服务记录证明 as issued: a snapshot, so a verifier sees what was certified.

    The hours, activities and issuing stations are copied at issue time; later corrections
    do not silently change a certificate already handed out (issue a new one instead).
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Human-readable certificate number printed on the page, e.g. "ZYZM-20261126-000012".
    number: Mapped[str] = mapped_column(String(32), unique=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(50))
    period_start: Mapped[date]
    period_end: Mapped[date]
    #: Confirmed service time certified, in minutes.
    minutes: Mapped[int]
    #: Names of the recording units (stations), joined with "、".
    issuers: Mapped[str] = mapped_column(String(1000))
    #: The certified records: [{"date", "activity", "unit", "category", "minutes"}, ...].
    lines: Mapped[Any] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the holder deleted their account: the name is erased and verification says so.
    withdrawn_at: Mapped[datetime | None]
