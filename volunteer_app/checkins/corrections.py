"""Corrections of a record (Art. 13 of the national rule): the volunteer asks with a reason,
an organizer of the activity's station accepts (with the right times) or declines (with a
reason); both see the outcome, and the audit log keeps every step.

A correction is decided once: the decision is written by ``UPDATE … WHERE status = 'open'``,
so of two organizers answering at the same moment one decides and the other hears
``already_decided`` (409), whatever the database. A request locks its record first, so a
double tap cannot open two requests for one record.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import scoped_corrections
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn, Correction, CorrectionStatus
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Volunteer

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
    # One request at a time per record: a double tap finds the first one open.
    db.session.get(CheckIn, record.id, with_for_update=True, populate_existing=True)
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
        personal={"reason": text},
    )
    return correction


def for_organizer(user: User) -> tuple[list[Correction], list[Correction]]:
    """(open requests oldest first, the 20 latest answered) of the user's stations."""
    open_ = db.session.scalars(
        scoped_corrections(user)
        .where(Correction.status == CorrectionStatus.OPEN)
        .order_by(Correction.created_at, Correction.id)
    )
    decided = db.session.scalars(
        scoped_corrections(user)
        .where(Correction.status != CorrectionStatus.OPEN)
        .order_by(Correction.decided_at.desc(), Correction.id.desc())
        .limit(20)
    )
    return list(open_.unique()), list(decided.unique())


def _decide(correction: Correction, user: User, *, now: datetime, **values) -> None:
    """Write the decision if the correction is still open, else CorrectionError (409).

    The condition on the status makes the first decision the only one: a second, made at
    the same moment, changes nothing. Either way ``correction`` then shows what stands.
    """
    result = db.session.execute(
        update(Correction)
        .where(Correction.id == correction.id, Correction.status == CorrectionStatus.OPEN)
        .values(decided_at=now, decided_by_id=user.id, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(correction)
    if result.rowcount != 1:
        raise CorrectionError("already_decided", status=409)


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
    if checked_out_at <= checked_in_at:
        raise CorrectionError("times_invalid")
    checkins.validate_correction(correction.record, checked_in_at, checked_out_at, now=now)
    decision = (reason or "").strip()[:REASON_MAX_LENGTH]
    _decide(correction, user, now=now, status=CorrectionStatus.ACCEPTED, decision_reason=decision)
    record = checkins.apply_correction(
        correction.record,
        checked_in_at=checked_in_at,
        checked_out_at=checked_out_at,
        organizer_id=user.id,
        now=now,
        reason=decision or correction.reason,
        correction_id=correction.id,
    )
    correction.new_minutes = record.minutes
    db.session.flush()
    return correction


def decline(correction: Correction, user: User, *, reason: str, now: datetime) -> Correction:
    """Decline with a reason the volunteer will read."""
    if correction.status != CorrectionStatus.OPEN:
        raise CorrectionError("already_decided", status=409)
    text = validate_reason(reason)
    minutes = select(CheckIn.minutes).where(CheckIn.id == correction.checkin_id)
    _decide(
        correction,
        user,
        now=now,
        status=CorrectionStatus.DECLINED,
        decision_reason=text,
        new_minutes=minutes.scalar_subquery(),
    )
    audit.record(
        "correction.decline",
        now=now,
        actor_user_id=user.id,
        activity_id=correction.record.activity_id,
        checkin_id=correction.checkin_id,
        volunteer_id=correction.volunteer_id,
        new={"correction_id": correction.id},
        personal={"reason": text},
    )
    db.session.flush()
    return correction
