"""What an organizer changes from the roster: a volunteer's name or number, and merging two
records of one person. Both audited, both in the request's one transaction.

The caller has loaded every volunteer named here through ``auth.scoping`` (the organizer
may see them); these functions lock the rows they change before they read them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from volunteer_app.activities.models import Activity, Signup
from volunteer_app.audit import services as audit
from volunteer_app.audit.models import AuditPersonal
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import visible_volunteer_ids
from volunteer_app.checkins.models import CheckIn, Correction, HoursStatus
from volunteer_app.checkins.services import lock_stays
from volunteer_app.extensions import db
from volunteer_app.volunteers import services as volunteers
from volunteer_app.volunteers.models import Certificate, Device, Volunteer
from volunteer_app.volunteers.roster_rules import (
    RosterError,
    validate_merge,
    validate_merge_times,
    validate_phone_move,
)
from volunteer_app.volunteers.rules import VolunteerError, normalize_name, normalize_phone

#: What a merged-away record's name becomes (stored data; shown as is in every language).
MERGED_NAME = "已合并志愿者"


def _locked(*volunteer_ids: int) -> dict[int, Volunteer]:
    """The live volunteers of these ids, their rows locked in id order (PostgreSQL; SQLite's
    writing request holds the database's one write lock already)."""
    rows = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.id.in_(volunteer_ids), Volunteer.deleted_at.is_(None))
        .order_by(Volunteer.id)
        .with_for_update(of=Volunteer)
        .execution_options(populate_existing=True)
    )
    found = {v.id: v for v in rows}
    if set(volunteer_ids) - found.keys():
        raise RosterError("not_found", status=404)
    return found


def edit_identity(
    user: User, volunteer: Volunteer, *, name: str, phone: str, reason: str, now: datetime
) -> Volunteer:
    """Change a volunteer's name or number on an organizer's word, with a reason.

    A new number moves the person to its household: a new one without a PIN when nobody
    uses the number, the existing one only when the organizer may see all its people
    (``roster_rules.validate_phone_move``). Their devices were signed in with the old
    number's PIN, so a number change signs them out: they would otherwise reach the new
    number's people. Their card stays; the number they leave keeps its PIN for its other
    people. The PIN-less new number is claimed in person like any registered by others.
    The old and new values and the reason go into the audit entry's personal part.
    """
    name, phone = normalize_name(name), normalize_phone(phone)
    person = _locked(volunteer.id)[volunteer.id]
    old_name, old_phone, old_household = person.name, person.phone, person.household
    if name == old_name and phone == old_phone:
        raise RosterError("nothing_changed")
    household = old_household
    if phone != old_phone:
        household = volunteers.household_by_phone(phone)
        if household is not None:
            members = {m.id for m in volunteers.live_members(household)}
            visible = set(
                db.session.scalars(visible_volunteer_ids(user).where(Volunteer.id.in_(members)))
            )
            validate_phone_move(members, visible)
        else:
            household = volunteers.create_household(phone, now=now)
    clash = volunteers.member_named(household, name)
    if clash is not None and clash.id != person.id:
        raise VolunteerError("name_taken")
    try:
        with db.session.begin_nested():
            person.name = name
            person.household = household
    except IntegrityError:  # the same name added to that phone a moment ago
        raise VolunteerError("name_taken") from None
    if household is not old_household:
        db.session.execute(
            update(Device)
            .where(Device.volunteer_id == person.id, Device.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    changed = [
        f for f, old, new in (("name", old_name, name), ("phone", old_phone, phone)) if old != new
    ]
    personal = {"reason": reason}
    if "name" in changed:
        personal |= {"old_name": old_name, "new_name": name}
    if "phone" in changed:
        personal |= {"old_phone": old_phone, "new_phone": phone}
    audit.record(
        "volunteer.edit",
        now=now,
        actor_user_id=user.id,
        volunteer_id=person.id,
        old={"fields": changed, "household_id": old_household.id if old_household else None},
        new={"fields": changed, "household_id": household.id},
        personal=personal,
    )
    db.session.flush()
    return person


@dataclass(frozen=True)
class MergeResult:
    """What moved from the merged record to the kept one."""

    checkins: int
    signups: int
    certificates: int
    corrections: int
    confirmed_minutes: int
    pending_minutes: int


def merge(
    user: User, kept: Volunteer, merged: Volunteer, *, reason: str, now: datetime
) -> MergeResult:
    """Make two records of one person one: everything of ``merged`` moves to ``kept``.

    Records (each audited as moved), sign-ups, certificates, correction requests and the
    personal values the audit log holds about the person move; a sign-up both had for one
    activity stays once (active if either was). Refused when both have a record at one
    activity (``roster_rules.validate_merge``), or when a record of one shares time with
    a record of the other (``roster_rules.validate_merge_times``): one person's time must
    not count twice. The merged record is then marked deleted,
    with a placeholder name and no phone, so nobody finds it again; its devices show the
    other people of its phone, or are signed out when there are none.
    """
    validate_merge(kept.id, merged.id, 0)
    locked = _locked(kept.id, merged.id)
    kept, merged = locked[kept.id], locked[merged.id]
    kept_activities = select(CheckIn.activity_id).where(CheckIn.volunteer_id == kept.id)
    shared = db.session.scalar(
        select(func.count())
        .select_from(CheckIn)
        .where(CheckIn.volunteer_id == merged.id, CheckIn.activity_id.in_(kept_activities))
    )
    validate_merge(kept.id, merged.id, shared)
    # Both rows are locked already; lock_stays takes them again (a no-op) and reads the
    # whole of each history, so no record of either can change before the move.
    validate_merge_times(
        lock_stays(kept.id, since=None, now=now),
        lock_stays(merged.id, since=None, now=now),
        lambda activity_id: db.session.get(Activity, activity_id).title,
    )
    moved = list(
        db.session.scalars(
            select(CheckIn).where(CheckIn.volunteer_id == merged.id).order_by(CheckIn.id)
        )
    )
    try:
        with db.session.begin_nested():
            db.session.execute(
                update(CheckIn)
                .where(CheckIn.volunteer_id == merged.id)
                .values(volunteer_id=kept.id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:  # a record of the kept person at one of those activities, just now
        raise RosterError("merge_overlap") from None
    for record in moved:
        audit.record(
            "checkin.merge",
            now=now,
            actor_user_id=user.id,
            activity_id=record.activity_id,
            checkin_id=record.id,
            volunteer_id=kept.id,
            old={"volunteer_id": merged.id},
            new={"volunteer_id": kept.id},
        )
    signups = _merge_signups(kept.id, merged.id)
    certificates = _move(Certificate, kept.id, merged.id)
    corrections = _move(Correction, kept.id, merged.id)
    _move(AuditPersonal, kept.id, merged.id)
    _hand_over_devices(merged, now)
    merged_name = merged.name
    merged.name = MERGED_NAME
    merged.household = None
    merged.deleted_at = now
    result = MergeResult(
        checkins=len(moved),
        signups=signups,
        certificates=certificates,
        corrections=corrections,
        confirmed_minutes=sum(r.minutes for r in moved if r.status == HoursStatus.CONFIRMED),
        pending_minutes=sum(r.minutes for r in moved if r.status != HoursStatus.CONFIRMED),
    )
    audit.record(
        "volunteer.merge",
        now=now,
        actor_user_id=user.id,
        volunteer_id=kept.id,
        old={"merged_volunteer_id": merged.id},
        new={"kept_volunteer_id": kept.id, **result.__dict__},
        personal={"reason": reason, "merged_name": merged_name},
    )
    db.session.flush()
    db.session.expire_all()
    return result


def _move(model, kept_id: int, merged_id: int) -> int:
    """Point ``model``'s rows of the merged volunteer at the kept one; how many moved."""
    result = db.session.execute(
        update(model)
        .where(model.volunteer_id == merged_id)
        .values(volunteer_id=kept_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _merge_signups(kept_id: int, merged_id: int) -> int:
    """Move the merged volunteer's sign-ups; one per activity stays. How many were theirs."""
    theirs = list(db.session.scalars(select(Signup).where(Signup.volunteer_id == merged_id)))
    mine = {
        s.activity_id: s
        for s in db.session.scalars(select(Signup).where(Signup.volunteer_id == kept_id))
    }
    for signup in theirs:
        existing = mine.get(signup.activity_id)
        if existing is None:
            signup.volunteer_id = kept_id
            continue
        if existing.cancelled_at is not None and signup.cancelled_at is None:
            existing.cancelled_at = None
        db.session.delete(signup)
    db.session.flush()
    return len(theirs)


def _hand_over_devices(merged: Volunteer, now: datetime) -> None:
    """The merged record's devices show another person of its phone, or are signed out."""
    household = merged.household
    others = (
        [m for m in volunteers.live_members(household) if m.id != merged.id] if household else []
    )
    devices = update(Device).where(Device.volunteer_id == merged.id)
    if others:
        db.session.execute(devices.values(volunteer_id=others[0].id))
    else:
        db.session.execute(devices.where(Device.revoked_at.is_(None)).values(revoked_at=now))
