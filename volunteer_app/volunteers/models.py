"""Volunteers, the households (phones) they use, the devices that remember them, certificates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false, select
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_app.codes import new_key
from volunteer_app.database import utcnow
from volunteer_app.extensions import db


class Household(db.Model):
    """A mobile number and the volunteers who use it: one person, a parent and two children,
    an elderly couple. A phone is a contact, not a person.

    Whoever holds the phone proves it with the household's PIN (or a one-time code) and then
    manages its people and checks them in; each person keeps their own name, hours, star
    level and certificates.
    """

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 11-digit mainland mobile number; personal data, shown masked to others.
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Hash of the phone's 4–6 digit PIN; None for people registered by an organizer or by
    #: the demo seed, who must get a one-time code before any new device can claim the number
    #: (see docs/security.md).
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    pin_set_at: Mapped[datetime | None]
    #: Hash of a one-time code an organizer handed over in person (PIN reset or first PIN).
    setup_code_hash: Mapped[str | None] = mapped_column(String(256))
    setup_code_expires_at: Mapped[datetime | None]

    members: Mapped[list[Volunteer]] = relationship(
        back_populates="household", order_by="Volunteer.id"
    )

    def __repr__(self) -> str:
        return f"<Household {self.id}>"


class Volunteer(db.Model):
    """A person who serves: their own name, hours, star level and certificates.

    Reached on a phone through their household (its number and PIN); several people may
    share one household. A person's name is unique within their household.
    """

    __tablename__ = "volunteers"
    __table_args__ = (UniqueConstraint("household_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The phone this person uses; None once the person deleted their account.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    #: Version of the consent text accepted, and when (PIPL); for a minor, the guardian's.
    consent_version: Mapped[str] = mapped_column(String(20))
    consented_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Under 14: PIPL asks for a guardian's consent, given when the child was registered.
    is_minor: Mapped[bool] = mapped_column(default=False, server_default=false())
    guardian_consented_at: Mapped[datetime | None]
    #: The unit through which, or by whose organizer, the person was registered (the
    #: activity's station at a first scan or a walk-in; None for registration on /me).
    registered_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: The organizer who registered the person on their behalf (a walk-in), if any.
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The 居民身份证号码, only where the district collects them (``COLLECT_ID_NUMBERS``):
    #: PIPL asks to collect only what is needed. Shown masked, erased by a deletion.
    id_number: Mapped[str | None] = mapped_column(String(18))
    #: Set when the person deleted their account: the name is then a placeholder and the
    #: household gone (see volunteers.privacy); the records stay so station totals remain.
    deleted_at: Mapped[datetime | None]
    #: Random key carried by the person's QR card (volunteers/cards.py); renewing it on
    #: /me/card makes every earlier card, printed or photographed, stop working. Set on every
    #: insert (older rows by migration 0003); nullable only as ``Activity.checkin_key`` is.
    card_key: Mapped[str] = mapped_column(
        String(43), nullable=True, unique=True, index=True, default=new_key
    )

    household: Mapped[Household | None] = relationship(back_populates="members", lazy="joined")
    devices: Mapped[list[Device]] = relationship(back_populates="volunteer")

    @hybrid_property
    def phone(self) -> str:
        """The household's number ("" once the person deleted their account)."""
        return self.household.phone if self.household is not None else ""

    @phone.inplace.expression
    @classmethod
    def _phone_expression(cls):
        """In SQL, the household's number (a correlated subquery; join where it matters)."""
        return select(Household.phone).where(Household.id == cls.household_id).scalar_subquery()

    def __repr__(self) -> str:
        return f"<Volunteer {self.id}>"


class Device(db.Model):
    """A browser that remembers a household through a long-lived signed cookie.

    The cookie carries the device's random key, never a volunteer's id, so a device can be
    listed and signed out without touching the others. ``volunteer_id`` is the household
    member the device shows now (my page, the default for a check-in); whoever holds the
    phone switches between its members.
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
