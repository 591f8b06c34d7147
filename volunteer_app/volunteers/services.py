"""Finding and registering volunteers and their households; remembering their devices."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Device, Household, Volunteer
from volunteer_app.volunteers.rules import shorten_user_agent


def household_by_phone(phone: str) -> Household | None:
    """The household of this (normalised) number, if registered."""
    return db.session.scalar(_by_phone(), {"phone": phone})


@lru_cache(maxsize=1)
def _by_phone():
    """Built once: every new device and every organizer's check-in by phone runs it."""
    return select(Household).where(Household.phone == bindparam("phone"))


def members_by_phone(phone: str) -> list[Volunteer]:
    """The (live) people of the household of this number, oldest first, each with the
    household loaded: one query for what an organizer's check-in by phone needs."""
    return list(db.session.scalars(_members_by_phone(), {"phone": phone}))


@lru_cache(maxsize=1)
def _members_by_phone():
    return (
        select(Volunteer)
        .join(Volunteer.household)
        .options(contains_eager(Volunteer.household))
        .where(Household.phone == bindparam("phone"), Volunteer.deleted_at.is_(None))
        .order_by(Volunteer.id)
    )


def members_by_phone_marked(phone: str, mine: ColumnElement[bool]) -> list[tuple[Volunteer, bool]]:
    """The (live) people of this number's household, oldest first, each with whether they
    pass ``mine`` (a condition on the volunteer's row: an organizer's scope), in one query:
    what an organizer's check-in by phone needs to tell "theirs", "someone else's number"
    and "a new number" apart without a second statement."""
    statement = _members_marked(mine)
    return [
        (volunteer, bool(ok)) for volunteer, ok in db.session.execute(statement, {"phone": phone})
    ]


#: The statement of ``members_by_phone_marked`` per condition object: the scope's conditions
#: are built once per organizer and activity (``auth.scoping``), and so is this.
_MARKED: dict[int, tuple[ColumnElement[bool], Select]] = {}


def _members_marked(mine: ColumnElement[bool]) -> Select:
    hit = _MARKED.get(id(mine))
    if hit is None or hit[0] is not mine:
        hit = (mine, _members_by_phone().add_columns(mine.label("mine")))
        if len(_MARKED) >= 256:
            _MARKED.clear()
        _MARKED[id(mine)] = hit
    return hit[1]


def live_members(household: Household) -> list[Volunteer]:
    """The household's people who have not deleted their account, oldest first."""
    return [m for m in household.members if m.deleted_at is None]


def member_named(household: Household, name: str) -> Volunteer | None:
    """The household's (live) person of this name, compared without case for Latin names."""
    wanted = name.casefold()
    return next((m for m in live_members(household) if m.name.casefold() == wanted), None)


def create_household(phone: str, *, now: datetime, pin_hash: str | None = None) -> Household:
    """Register a number (with a PIN when its holder chose one).

    Two first registrations of one number at once both end with the same household: the
    unique number decides, and the loser of the race reads the winner's row.
    """
    household = Household(
        phone=phone, created_at=now, pin_hash=pin_hash, pin_set_at=now if pin_hash else None
    )
    try:
        with db.session.begin_nested():
            db.session.add(household)
    except IntegrityError:
        existing = household_by_phone(phone)
        if existing is None:
            raise
        return existing
    return household


def add_member(
    household: Household,
    name: str,
    *,
    now: datetime,
    consent_version: str,
    is_minor: bool = False,
    registered_unit_id: int | None = None,
    registered_by_id: int | None = None,
) -> Volunteer:
    """Add a person to a household (or return the one of that name already there).

    ``is_minor``: the person is under 14 and whoever registers them attests the guardian's
    consent (PIPL); the time of that consent is kept.
    """
    existing = member_named(household, name)
    if existing is not None:
        return existing
    volunteer = Volunteer(
        name=name,
        consent_version=consent_version,
        consented_at=now,
        created_at=now,
        is_minor=is_minor,
        guardian_consented_at=now if is_minor else None,
        registered_unit_id=registered_unit_id,
        registered_by_id=registered_by_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(volunteer)
            volunteer.household = household
    except IntegrityError:
        db.session.refresh(household)
        existing = member_named(household, name)
        if existing is None:
            raise
        return existing
    return volunteer


def register(
    name: str,
    phone: str,
    *,
    now: datetime,
    consent_version: str,
    is_minor: bool = False,
    registered_unit_id: int | None = None,
    registered_by_id: int | None = None,
) -> Volunteer:
    """A person of this name on this number, registering the number (without a PIN) and the
    person when they are new: for people registered by others (walk-ins, the demo)."""
    household = household_by_phone(phone) or create_household(phone, now=now)
    return add_member(
        household,
        name,
        now=now,
        consent_version=consent_version,
        is_minor=is_minor,
        registered_unit_id=registered_unit_id,
        registered_by_id=registered_by_id,
    )


def remember_device(volunteer: Volunteer, *, user_agent: str, now: datetime) -> Device:
    """Create a device record for this browser, showing ``volunteer``; its key goes into
    the cookie."""
    device = Device(
        volunteer=volunteer,
        key=secrets.token_urlsafe(24),
        user_agent=shorten_user_agent(user_agent or "", 200),
        created_at=now,
    )
    db.session.add(device)
    db.session.flush()
    return device


def volunteer_for_device(key: str) -> Volunteer | None:
    """The person a (not signed out) device key shows now, with their household, in one query."""
    return db.session.scalar(
        select(Volunteer)
        .join(Device, Device.volunteer_id == Volunteer.id)
        .where(Device.key == key, Device.revoked_at.is_(None))
    )
