"""A paper sign-in sheet entered after an activity, many lines in one go.

The lines are read and matched by ``sheet_rules`` (pure); this module gives the rules the
database's part (the organizer's own volunteers of the sheet's names, which of its numbers
are registered), keeps a checked sheet until the organizer confirms it
(``uploads.PendingFiles``, like the district imports), and enters it: each line through
the existing services, a new walk-in through ``organizer.register_new_walk_in`` and every
line's hours through ``review.add_hours`` (so their checks and audit entries apply), all
in the request's one transaction. The sheet is matched again at confirmation, against the
records as they are then, and its pending file is claimed first: a second submit of the
same preview finds it gone and enters nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from volunteer_app import uploads
from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.auth import scoping
from volunteer_app.auth.models import User
from volunteer_app.checkins import organizer, review, review_rules
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.sheet_rules import (
    Candidate,
    Line,
    Planned,
    SheetError,
    parse_phone,
    plan,
)
from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Household, Volunteer
from volunteer_app.volunteers.rules import VolunteerError, normalize_name


def validate_open_for_sheet(activity: Activity, *, now: datetime) -> None:
    """HoursError unless hours may be added at ``activity`` now (held, and ended)."""
    review_rules.validate_held(activity.status.value)
    if now < activity.ends_at:
        raise review_rules.HoursError("not_ended")


def candidates(activity: Activity, user: User, names: list[str]) -> list[Candidate]:
    """The volunteers ``user`` may record at ``activity`` who bear one of ``names``."""
    if not names:
        return []
    has_record = (
        exists()
        .where(CheckIn.volunteer_id == Volunteer.id, CheckIn.activity_id == activity.id)
        .correlate(Volunteer)
    )
    rows = db.session.execute(
        scoping.recordable_volunteers(user, activity)
        .join(Household, Household.id == Volunteer.household_id)
        .where(Volunteer.name.in_(sorted(set(names))))
        .with_only_columns(Volunteer.id, Volunteer.name, Household.phone, has_record)
    )
    return [Candidate(id_, name, phone, bool(recorded)) for id_, name, phone, recorded in rows]


def registered_numbers(phones: list[str]) -> set[str]:
    """Which of ``phones`` are registered to anyone (their households exist)."""
    if not phones:
        return set()
    return set(db.session.scalars(select(Household.phone).where(Household.phone.in_(phones))))


def check(activity: Activity, user: User, lines: list[Line], *, zone: ZoneInfo) -> list[Planned]:
    """What entering ``lines`` at ``activity`` would do; reads only."""
    names, phones = [], []
    for line in lines:
        with contextlib.suppress(VolunteerError):
            names.append(normalize_name(line.name))
        try:
            how, phone = parse_phone(line.phone)
        except VolunteerError:
            continue
        if how == "full":
            phones.append(phone)
    return plan(
        lines,
        candidates=candidates(activity, user, names),
        registered=registered_numbers(phones),
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        zone=zone,
    )


@dataclass(frozen=True)
class Entered:
    """What a confirmed sheet did."""

    added: int
    registered: int
    #: The lines not entered (their problem as it was at confirmation).
    skipped: list[Planned]


def enter(
    activity: Activity,
    user: User,
    lines: list[Line],
    *,
    reason: str,
    zone: ZoneInfo,
    now: datetime,
) -> Entered:
    """Enter the sheet's lines that can be: register its walk-ins, add everyone's hours
    with the sheet's one reason (audited per person by the services), and one "hours.sheet"
    entry for the sheet. Raises DomainError for the activity as a whole."""
    validate_open_for_sheet(activity, now=now)
    planned = check(activity, user, lines, zone=zone)
    people = {
        v.id: v
        for v in db.session.scalars(
            scoping.recordable_volunteers(user, activity).where(
                Volunteer.id.in_([p.volunteer_id for p in planned if p.volunteer_id])
            )
        )
    }
    added = registered = 0
    skipped = [p for p in planned if not p.ok]
    for row in planned:
        if not row.ok:
            continue
        if row.kind == "new":
            volunteer = organizer.register_new_walk_in(
                activity, user, name=row.name, phone=row.phone, now=now
            )
            registered += 1
        else:
            volunteer = people[row.volunteer_id]
        review.add_hours(activity, volunteer, user, minutes=row.minutes, reason=reason, now=now)
        added += 1
    if not added:
        raise SheetError("no_lines")
    audit.record(
        "hours.sheet",
        now=now,
        actor_user_id=user.id,
        activity_id=activity.id,
        new={"added": added, "registered": registered, "skipped": len(skipped)},
        reason=reason,
    )
    db.session.flush()
    return Entered(added, registered, skipped)


# --- the checked sheet waiting for its confirmation ------------------------------------------


class SheetStore:
    """Checked sheets waiting for confirmation, one JSON file each (names and numbers: an
    hour at most, like the imports)."""

    def __init__(self) -> None:
        self.files = uploads.PendingFiles(uploads.pending_directory("sheets"), error=SheetError)

    def save(
        self,
        user: User,
        activity: Activity,
        lines: list[Line],
        *,
        reason: str,
        file_sha256: str,
        now: datetime,
    ) -> str:
        """Keep the sheet for ``user`` and ``activity``; its token."""
        body = {
            "activity_id": activity.id,
            "reason": reason,
            "lines": [[line.number, line.name, line.phone, line.hours] for line in lines],
        }
        return self.files.save(user.id, body, file_sha256=file_sha256, now=now)

    def claim(
        self, token: str, user: User, activity: Activity, *, now: datetime
    ) -> tuple[list[Line], str]:
        """Take the sheet ``token`` names, once: (its lines, its reason). SheetError
        "expired" when it is not ``user``'s for ``activity``, expired, or taken before."""

        def parse(body: dict) -> tuple[int, list[Line], str]:
            lines = [
                Line(int(n), str(name), str(phone), str(hours))
                for n, name, phone, hours in body["lines"]
            ]
            return int(body["activity_id"]), lines, str(body["reason"])

        (activity_id, lines, reason), _sha, _created = self.files.load(
            token, user.id, now=now, parse=parse
        )
        if activity_id != activity.id or not self.files.take(token):
            raise SheetError("expired")
        return lines, reason
