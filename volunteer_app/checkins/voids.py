"""Voiding junk and test records: set aside with a reason, never deleted, and restorable.

A voided record stays in ``checkins`` (``voided_at``, ``void_reason``) and in the audit log;
every ORM query leaves it out (``checkins.models._live_records_only``) and the report
triggers count it nowhere, so it is gone from counts, hours, stars, certificates, the
projector and every export. Organizers see it struck through in the activity's records,
with the reason, and may restore it: restoring is refused when the record would now
overlap another of the person's records (``overlaps``).

Both are conditional UPDATEs (``WHERE voided_at IS NULL`` / ``IS NOT NULL``), so of two
organizers voiding at the same moment one voids and audits; the volunteer's row is locked
first, as every writer of a person's records does.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.checkins import rules
from volunteer_app.checkins.models import INCLUDE_VOIDED, CheckIn
from volunteer_app.checkins.services import lock_stays, lock_volunteer
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.volunteers import privacy
from volunteer_app.volunteers.models import Device, Volunteer

REASON_MAX_LENGTH = 500


class VoidError(DomainError):
    """A void or restore was refused."""

    status = 409
    messages = {
        "reason_required": _l("Please give a reason for voiding this record."),
        "reason_too_long": _l("The reason is too long (at most 500 characters)."),
        "already_voided": _l("This record has already been voided."),
        "not_voided": _l("This record is not voided."),
        "not_a_walk_in": _l(
            "Only a registration made by an organizer (a walk-in or an import) can be voided."
        ),
        "claimed": _l(
            "This person has used their account (a PIN or a phone of their own): it cannot "
            "be voided. Merge it into the right record instead, or ask them to delete it."
        ),
        "records_elsewhere": _l(
            "This person has records at activities outside your units: it cannot be voided."
        ),
    }


def validate_void_reason(reason: str | None) -> str:
    """A trimmed reason of 1–500 characters, or VoidError (pure)."""
    text = " ".join((reason or "").split())
    if not text:
        raise VoidError("reason_required", status=400)
    if len(text) > REASON_MAX_LENGTH:
        raise VoidError("reason_too_long", status=400)
    return text


def voided_records(activity_id: int) -> list[CheckIn]:
    """An activity's voided records, for the organizer's struck-through list."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.activity_id == activity_id, CheckIn.voided_at.is_not(None))
            .order_by(CheckIn.voided_at, CheckIn.id)
            .execution_options(**{INCLUDE_VOIDED: True})
        )
    )


def voided_record_or_404(activity: Activity, checkin_id: int) -> CheckIn | None:
    """A voided record of this (already scoped) activity, or None."""
    return db.session.scalar(
        select(CheckIn)
        .where(
            CheckIn.id == checkin_id,
            CheckIn.activity_id == activity.id,
            CheckIn.voided_at.is_not(None),
        )
        .execution_options(**{INCLUDE_VOIDED: True})
    )


def void_record(record: CheckIn, user: User, *, reason: str, now: datetime) -> CheckIn:
    """Void one live record with a reason (audited ``checkin.void``); VoidError otherwise."""
    text = validate_void_reason(reason)
    lock_volunteer(record.volunteer_id)
    done = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == record.id, CheckIn.voided_at.is_(None))
        .values(voided_at=now, void_reason=text)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise VoidError("already_voided")
    record.voided_at, record.void_reason = now, text
    audit.record(
        "checkin.void",
        now=now,
        actor_user_id=user.id,
        activity_id=record.activity_id,
        checkin_id=record.id,
        volunteer_id=record.volunteer_id,
        old={"minutes": record.minutes, "status": record.status.value},
        new={"voided": True},
        personal={"reason": text},
    )
    db.session.flush()
    return record


def restore_record(record: CheckIn, user: User, *, now: datetime) -> CheckIn:
    """Restore a voided record (audited ``checkin.restore``), unless it would now overlap
    another of the person's records (``overlaps``) or is not voided (``not_voided``)."""
    stays = lock_stays(
        record.volunteer_id,
        since=record.checked_in_at,
        until=record.checked_out_at,
        besides=record.activity_id,
    )
    rules.validate_no_overlap(record.checked_in_at, record.checked_out_at, stays)
    reason = record.void_reason
    done = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == record.id, CheckIn.voided_at.is_not(None))
        .values(voided_at=None, void_reason="")
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise VoidError("not_voided")
    record.voided_at, record.void_reason = None, ""
    audit.record(
        "checkin.restore",
        now=now,
        actor_user_id=user.id,
        activity_id=record.activity_id,
        checkin_id=record.id,
        volunteer_id=record.volunteer_id,
        old={"voided": True},
        new={"voided": False, "minutes": record.minutes},
        personal={"reason": reason},
    )
    db.session.flush()
    return record


# --- a walk-in registration made by mistake ---------------------------------------------------
# A junk or test person registered at the desk ("测试", a mistyped number) holds a number its
# real owner could not register, and stays in the roster. Voiding the registration erases the
# person as a deletion does (volunteers/privacy.py) and voids their records, which stay with
# the activities, struck through. Only a registration an organizer made and its person never
# used (no PIN, no phone of their own) can be voided, and only when all its records are at
# the voiding organizer's units: anyone else's data is never touched by it.


def validate_void_registration(
    *, registered_by_organizer: bool, has_pin: bool, has_devices: bool, records_elsewhere: bool
) -> None:
    """Whether an organizer may void a person's registration (VoidError otherwise)."""
    if not registered_by_organizer:
        raise VoidError("not_a_walk_in")
    if has_pin or has_devices:
        raise VoidError("claimed")
    if records_elsewhere:
        raise VoidError("records_elsewhere")


def void_registration(
    volunteer: Volunteer, user: User, *, reason: str, unit_ids, now: datetime
) -> int:
    """Void the registration of one of ``user``'s volunteers (found through their scope)
    made by an organizer and never used: the person is erased, their live records voided
    with the reason. ``unit_ids`` is a SELECT of the units ``user`` manages. Audited
    ``volunteer.void_registration`` and ``checkin.void`` for each record; the records voided."""
    text = validate_void_reason(reason)
    lock_volunteer(volunteer.id)
    household = volunteer.household
    elsewhere = db.session.scalar(
        select(CheckIn.id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(CheckIn.volunteer_id == volunteer.id, Activity.unit_id.not_in(unit_ids))
        .execution_options(**{INCLUDE_VOIDED: True})
        .limit(1)
    )
    devices = db.session.scalar(
        select(Device.id).where(Device.volunteer_id == volunteer.id).limit(1)
    )
    validate_void_registration(
        registered_by_organizer=volunteer.registered_by_id is not None,
        has_pin=household is not None and household.pin_hash is not None,
        has_devices=devices is not None,
        records_elsewhere=elsewhere is not None,
    )
    records = list(db.session.scalars(select(CheckIn).where(CheckIn.volunteer_id == volunteer.id)))
    if not privacy.erase_person(
        volunteer,
        now=now,
        action="volunteer.void_registration",
        actor_user_id=user.id,
        reason=text,
    ):
        return 0  # voided a moment ago (a double tap)
    for record in records:
        void_record(record, user, reason=text, now=now)
    return len(records)
