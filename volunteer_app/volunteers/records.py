"""A volunteer's own records: history, totals, star level and the star setting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.checkins.models import CheckIn, Correction, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.settings import services as settings
from volunteer_app.volunteers import stars
from volunteer_app.volunteers.models import Volunteer

STAR_PRESET_KEY = "star_preset"


@dataclass(frozen=True)
class Totals:
    """Confirmed and pending service time of one volunteer, in minutes."""

    confirmed_minutes: int
    pending_minutes: int


def history(volunteer_id: int) -> list[CheckIn]:
    """The volunteer's records with activity, station and category, newest first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .join(Activity, Activity.id == CheckIn.activity_id)
            .options(
                joinedload(CheckIn.activity).joinedload(Activity.unit),
                joinedload(CheckIn.activity).joinedload(Activity.category),
                joinedload(CheckIn.activity).joinedload(Activity.team),
            )
            .where(CheckIn.volunteer_id == volunteer_id)
            .order_by(Activity.starts_at.desc(), CheckIn.id.desc())
        )
    )


def totals(records: list[CheckIn]) -> Totals:
    """Sum confirmed and pending minutes of a volunteer's records."""
    confirmed = sum(r.minutes for r in records if r.status == HoursStatus.CONFIRMED)
    pending = sum(r.minutes for r in records if r.status != HoursStatus.CONFIRMED)
    return Totals(confirmed, pending)


def star_preset() -> str:
    """The star preset in force: the district admin's choice, else the configured default."""
    value = settings.get(STAR_PRESET_KEY) or current_app.config.get("STAR_PRESET")
    return value if value in stars.PRESETS else stars.DEFAULT_PRESET


def star_level(volunteer: Volunteer, totals_: Totals) -> stars.StarLevel:
    """The volunteer's star level under the preset in force."""
    return stars.compute_star_level(totals_.confirmed_minutes, stars.thresholds_for(star_preset()))


def set_star_preset(preset: str, *, user_id: int, now: datetime) -> None:
    """Choose the star preset (district admins only; the route checks the role)."""
    if preset not in stars.PRESETS:
        raise ValueError(preset)
    settings.put(STAR_PRESET_KEY, preset, user_id=user_id, now=now, field="preset")


def security_events(volunteer: Volunteer) -> list:
    """Audit entries about the identity of the volunteer's phone (codes, PIN, devices, people
    added), for every person of the household, and about the volunteer's own team
    memberships (joined, approved, removed, named leader...), newest first."""
    ids = [m.id for m in volunteer.household.members] if volunteer.household else [volunteer.id]
    entries = [
        e
        for e in audit.for_volunteers(ids)
        if e.action.startswith("volunteer.")
        or (e.action.startswith("team.") and e.volunteer_id == volunteer.id)
    ]
    return list(reversed(entries))


def corrections_of(volunteer_id: int) -> list[Correction]:
    """A volunteer's requests, newest first, with their records."""
    return list(
        db.session.scalars(
            select(Correction)
            .options(joinedload(Correction.record).joinedload(CheckIn.activity))
            .where(Correction.volunteer_id == volunteer_id)
            .order_by(Correction.created_at.desc(), Correction.id.desc())
        )
    )
