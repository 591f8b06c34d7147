"""Finding and registering volunteers; remembering their devices."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Device, Volunteer


def find_by_phone(phone: str) -> Volunteer | None:
    """The volunteer with this (normalised) phone number, if registered."""
    return db.session.scalar(_by_phone(), {"phone": phone})


@lru_cache(maxsize=1)
def _by_phone():
    """Built once: an organizer's check-in by phone runs it every time."""
    return select(Volunteer).where(Volunteer.phone == bindparam("phone"))


def register(name: str, phone: str, *, now: datetime, consent_version: str) -> Volunteer:
    """Return the volunteer with ``phone``, registering them (with consent) when new.

    Two first scans of the same number at once both end with the same volunteer: the
    unique phone column decides, and the loser of the race reads the winner's row.
    """
    existing = find_by_phone(phone)
    if existing is not None:
        return existing
    volunteer = Volunteer(name=name, phone=phone, consent_version=consent_version, consented_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(volunteer)
    except IntegrityError:
        existing = find_by_phone(phone)
        if existing is None:
            raise
        return existing
    return volunteer


def remember_device(volunteer: Volunteer, *, user_agent: str, now: datetime) -> Device:
    """Create a device record for this browser; its random key goes into the cookie."""
    device = Device(
        volunteer=volunteer,
        key=secrets.token_urlsafe(24),
        user_agent=(user_agent or "")[:200],
        created_at=now,
    )
    db.session.add(device)
    db.session.flush()
    return device


def volunteer_for_device(key: str) -> Volunteer | None:
    """The volunteer a (not signed out) device key belongs to, in one query."""
    return db.session.scalar(
        select(Volunteer)
        .join(Device, Device.volunteer_id == Volunteer.id)
        .where(Device.key == key, Device.revoked_at.is_(None))
    )
