"""Corrections of a record (Art. 13 of the national rule): the volunteer asks with a reason,
an organizer of the activity's station accepts (with the right times) or declines (with a
reason); both see the outcome, and the audit log keeps every step."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..activities.models import Activity
from ..audit import services as audit
from ..auth.models import User
from ..auth.scoping import visible_unit_ids
from ..checkins import services as checkins
from ..checkins.models import CheckIn
from ..errors import DomainError
from ..extensions import db
from .models import Correction, CorrectionStatus, Volunteer

REASON_MAX_LENGTH = 500


class CorrectionError(DomainError):
    """A correction request or decision was refused."""

    status = 400
    messages = {
        "reason_required": _l("Please give a reason."),
        "reason_too_long": _l("The reason is too long (at most 500 characters)."),
        "times_invalid": _l("The check-out time must be after the check-in time."),
        "already_open": _l("You have already asked for a correction of this record."),
        "already_decided": _l("This request has already been answered."),
    }


def validate_reason(reason: str | None) -> str:
    """A trimmed reason of 1–500 characters, or CorrectionError (pure)."""
    text = (reason or "").strip()
    if not text:
        raise CorrectionError("reason_required")
    if len(text) > REASON_MAX_LENGTH:
        raise CorrectionError("reason_too_long")
    return text


def own_record(volunteer: Volunteer, checkin_id: int) -> CheckIn | None:
    """One of the volunteer's own records, with its activity; None for anyone else's."""
    return db.session.scalar(
        select(CheckIn)
        .options(joinedload(CheckIn.activity).joinedload(Activity.unit))
        .where(CheckIn.id == checkin_id, CheckIn.volunteer_id == volunteer.id)
    )


def request_correction(
    volunteer: Volunteer,
    record: CheckIn,
    *,
    proposed_in_at: datetime | None,
    proposed_out_at: datetime | None,
    reason: str,
    now: datetime,
) -> Correction:
    """Ask the station to correct one of the volunteer's records."""
    text = validate_reason(reason)
    begin = proposed_in_at or record.checked_in_at
    end = proposed_out_at or record.checked_out_at
    if end is not None and end <= begin:
        raise CorrectionError("times_invalid")
    already = db.session.scalar(
        select(Correction.id).where(
            Correction.checkin_id == record.id, Correction.status == CorrectionStatus.OPEN
        )
    )
    if already is not None:
        raise CorrectionError("already_open", status=409)
    correction = Correction(
        checkin_id=record.id,
        volunteer_id=volunteer.id,
        proposed_in_at=proposed_in_at,
        proposed_out_at=proposed_out_at,
        reason=text,
        created_at=now,
        old_minutes=record.minutes,
    )
    db.session.add(correction)
    db.session.flush()
    audit.record(
        "correction.request",
        now=now,
        actor_volunteer_id=volunteer.id,
        activity_id=record.activity_id,
        checkin_id=record.id,
        volunteer_id=volunteer.id,
        new={
            "correction_id": correction.id,
            "proposed_in_at": proposed_in_at.isoformat() if proposed_in_at else None,
            "proposed_out_at": proposed_out_at.isoformat() if proposed_out_at else None,
        },
        reason=text,
    )
    return correction


def _scoped(user: User):
    return (
        select(Correction)
        .join(CheckIn, CheckIn.id == Correction.checkin_id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.unit_id.in_(visible_unit_ids(user)))
        .options(
            joinedload(Correction.record).joinedload(CheckIn.activity).joinedload(Activity.unit),
            joinedload(Correction.record).joinedload(CheckIn.volunteer),
        )
    )


def for_organizer(user: User) -> tuple[list[Correction], list[Correction]]:
    """(open requests oldest first, the 20 latest answered) of the user's stations."""
    open_ = db.session.scalars(
        _scoped(user)
        .where(Correction.status == CorrectionStatus.OPEN)
        .order_by(Correction.created_at, Correction.id)
    )
    decided = db.session.scalars(
        _scoped(user)
        .where(Correction.status != CorrectionStatus.OPEN)
        .order_by(Correction.decided_at.desc(), Correction.id.desc())
        .limit(20)
    )
    return list(open_.unique()), list(decided.unique())


def correction_or_404(user: User, correction_id: int) -> Correction:
    """A correction of one of the user's stations' activities; 404 for anyone else's."""
    correction = db.session.scalar(_scoped(user).where(Correction.id == correction_id))
    if correction is None:
        abort(404)
    return correction


def for_volunteer(volunteer_id: int) -> list[Correction]:
    """A volunteer's requests, newest first, with their records."""
    return list(
        db.session.scalars(
            select(Correction)
            .options(joinedload(Correction.record).joinedload(CheckIn.activity))
            .where(Correction.volunteer_id == volunteer_id)
            .order_by(Correction.created_at.desc(), Correction.id.desc())
        )
    )


def accept(
    correction: Correction,
    user: User,
    *,
    checked_in_at: datetime,
    checked_out_at: datetime,
    reason: str,
    now: datetime,
) -> Correction:
    """Accept: set the record's times (hours recomputed, origin organizer) and answer."""
    if correction.status != CorrectionStatus.OPEN:
        raise CorrectionError("already_decided", status=409)
    record = checkins.apply_correction(
        correction.record,
        checked_in_at=checked_in_at,
        checked_out_at=checked_out_at,
        organizer_id=user.id,
        now=now,
        reason=(reason or "").strip()[:REASON_MAX_LENGTH] or correction.reason,
        correction_id=correction.id,
    )
    correction.status = CorrectionStatus.ACCEPTED
    correction.decided_at, correction.decided_by_id = now, user.id
    correction.decision_reason = (reason or "").strip()[:REASON_MAX_LENGTH]
    correction.new_minutes = record.minutes
    db.session.flush()
    return correction


def decline(correction: Correction, user: User, *, reason: str, now: datetime) -> Correction:
    """Decline with a reason the volunteer will read."""
    if correction.status != CorrectionStatus.OPEN:
        raise CorrectionError("already_decided", status=409)
    text = validate_reason(reason)
    correction.status = CorrectionStatus.DECLINED
    correction.decided_at, correction.decided_by_id = now, user.id
    correction.decision_reason = text
    correction.new_minutes = correction.record.minutes
    audit.record(
        "correction.decline",
        now=now,
        actor_user_id=user.id,
        activity_id=correction.record.activity_id,
        checkin_id=correction.checkin_id,
        volunteer_id=correction.volunteer_id,
        new={"correction_id": correction.id},
        reason=text,
    )
    db.session.flush()
    return correction
