"""Hours review services: close open check-ins, adjust one record, confirm all.

Every change goes into the audit log in the same transaction. Services only flush.

Nothing acknowledged is overwritten: closing writes ``UPDATE … WHERE checked_out_at IS
NULL RETURNING``, so a check-out that lands at the same moment keeps its time and minutes,
and exactly the records that statement closed are audited; keeping hours is conditional
on the review mark; an adjustment and a confirmation lock the rows they change (on SQLite
a writing request holds the write lock anyway, see ``volunteer_app.transactions``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.audit import services as audit
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import User
from volunteer_app.checkins import review_rules
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.checkins.services import (
    checkout_margin,
    find_record,
    lock_volunteer,
    validate_free,
)
from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Volunteer


def _minutes_of(activity: Activity) -> int:
    return int((activity.ends_at - activity.starts_at).total_seconds() // 60)


def close_open_checkins(
    activity: Activity, now: datetime, *, actor: User | None = None
) -> list[CheckIn]:
    """Close the activity's open check-ins at its end time: 0 h, marked for review.

    Returns the records this call closed (a repeat closes none).
    """
    review_rules.validate_close(status=activity.status.value, now=now, ends_at=activity.ends_at)
    return _close(
        CheckIn.activity_id == activity.id,
        checked_out_at=activity.ends_at,
        now=now,
        actor=actor,
    )


def close_all_due(now: datetime) -> int:
    """Close open check-ins of every activity whose check-out time is over (for cron).

    Waits until the check-out grace has passed, so a volunteer leaving late can still
    check out by scanning. One statement closes them all, so that it also takes SQLite's
    write lock as its first (the command line runs outside any request). Returns the
    number of records closed.
    """
    due = select(Activity.id).where(
        Activity.status.in_([ActivityStatus.PUBLISHED, ActivityStatus.FINISHED]),
        Activity.ends_at < now - checkout_margin(),
    )
    ends_at = select(Activity.ends_at).where(Activity.id == CheckIn.activity_id)
    closed = _close(
        CheckIn.activity_id.in_(due.scalar_subquery()),
        checked_out_at=ends_at.scalar_subquery(),
        now=now,
        actor=None,
    )
    return len(closed)


def _close(where, *, checked_out_at, now: datetime, actor: User | None) -> list[CheckIn]:
    """Close the open records ``where`` selects, in one conditional UPDATE, and audit each.

    ``checked_out_at IS NULL`` is part of the statement, so a record checked out after it
    was seen open is left as it is (on PostgreSQL the UPDATE waits for that check-out and
    re-checks the condition); the audit entries are exactly the rows RETURNING gives back.
    """
    closed = list(
        db.session.scalars(
            update(CheckIn)
            .where(where, CheckIn.checked_out_at.is_(None), CheckIn.voided_at.is_(None))
            .values(checked_out_at=checked_out_at, minutes=0, needs_review=True)
            .returning(CheckIn),
            execution_options={"populate_existing": True, "synchronize_session": False},
        )
    )
    closed.sort(key=lambda record: (record.checked_in_at, record.id))
    for record in closed:
        audit.record(
            "checkin.close_at_end",
            now=now,
            actor_user_id=actor.id if actor else None,
            activity_id=record.activity_id,
            checkin_id=record.id,
            volunteer_id=record.volunteer_id,
            old={"checked_out_at": None},
            new={"checked_out_at": record.checked_out_at.isoformat(), "minutes": 0},
            reason="not checked out",
        )
    db.session.flush()
    return closed


def adjust_hours(
    record: CheckIn, user: User, *, minutes: int, reason: str, now: datetime
) -> CheckIn:
    """Set one record's hours with a reason; the hours become the organizer's.

    The row is re-read under a lock, so an adjustment and a confirmation at the same moment
    are applied one after the other. Adjusting confirmed hours returns them to pending:
    "confirmed" always means that exactly these minutes were confirmed. Hours beyond the
    record's own times are refused when the person has another record during the
    activity (``overlaps``), and hours beyond the part of the activity already passed
    (``future_hours``).
    """
    lock_volunteer(record.volunteer_id)  # before the record: the order every writer keeps
    db.session.get(CheckIn, record.id, with_for_update=True, populate_existing=True)
    activity = record.activity
    review_rules.validate_held(activity.status.value)
    reason = review_rules.validate_adjustment(
        minutes=minutes,
        duration_minutes=_minutes_of(activity),
        reason=reason,
        checked_out=record.checked_out_at is not None,
        passed_minutes=review_rules.compute_passed_minutes(
            activity.starts_at, activity.ends_at, now
        ),
    )
    stay = review_rules.compute_stay_minutes(
        record.checked_in_at, record.checked_out_at, activity.starts_at, activity.ends_at
    )
    if minutes > stay:
        # Hours beyond the record's own times come from the rest of the schedule: the
        # person must have been nowhere else then.
        validate_free(
            record.volunteer_id, activity.starts_at, activity.ends_at, besides=activity.id
        )
    old = {"minutes": record.minutes, "origin": record.origin.value, "status": record.status.value}
    record.minutes = minutes
    record.origin = HoursOrigin.ORGANIZER
    record.recorded_by_id = user.id
    record.needs_review = False
    record.status = HoursStatus.PENDING
    audit.record(
        "hours.adjust",
        now=now,
        actor_user_id=user.id,
        activity_id=activity.id,
        checkin_id=record.id,
        volunteer_id=record.volunteer_id,
        old=old,
        new={
            "minutes": minutes,
            "origin": HoursOrigin.ORGANIZER.value,
            "status": HoursStatus.PENDING.value,
        },
        personal={"reason": reason},
    )
    db.session.flush()
    return record


def add_hours(
    activity: Activity,
    volunteer: Volunteer,
    user: User,
    *,
    minutes: int,
    reason: str,
    now: datetime,
) -> CheckIn:
    """Record hours after the end for a volunteer who has no record (organizer's hours).

    The record spans the activity's schedule; its credited minutes are what the organizer
    entered, and the reason is kept in the audit log.
    """
    reason = review_rules.validate_addition(
        status=activity.status.value,
        now=now,
        ends_at=activity.ends_at,
        has_record=find_record(activity.id, volunteer.id) is not None,
        minutes=minutes,
        duration_minutes=_minutes_of(activity),
        reason=reason,
    )
    validate_free(volunteer.id, activity.starts_at, activity.ends_at, besides=activity.id)
    record = CheckIn(
        activity_id=activity.id,
        volunteer_id=volunteer.id,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.ends_at,
        minutes=minutes,
        origin=HoursOrigin.ORGANIZER,
        recorded_by_id=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        raise review_rules.HoursError("already_recorded") from None
    audit.record(
        "hours.add",
        now=now,
        actor_user_id=user.id,
        activity_id=activity.id,
        checkin_id=record.id,
        volunteer_id=volunteer.id,
        old=None,
        new={"minutes": minutes, "origin": HoursOrigin.ORGANIZER.value},
        personal={"reason": reason},
    )
    db.session.flush()
    return record


def keep_hours(record: CheckIn, user: User, *, now: datetime) -> bool:
    """Clear a record's review mark, keeping its hours as they are (audited).

    Returns whether this call cleared it: the mark is cleared by ``UPDATE … WHERE
    needs_review``, so of two keeps at the same moment only one is applied and audited.
    """
    review_rules.validate_held(record.activity.status.value)
    minutes = db.session.scalar(
        update(CheckIn)
        .where(
            CheckIn.id == record.id,
            CheckIn.needs_review.is_(True),
            CheckIn.checked_out_at.is_not(None),
        )
        .values(needs_review=False)
        .returning(CheckIn.minutes)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(record)
    if minutes is None:
        if record.checked_out_at is None:
            raise review_rules.HoursError("still_open")
        return False
    audit.record(
        "hours.review_keep",
        now=now,
        actor_user_id=user.id,
        activity_id=record.activity_id,
        checkin_id=record.id,
        volunteer_id=record.volunteer_id,
        old={"needs_review": True},
        new={"needs_review": False, "minutes": minutes},
    )
    db.session.flush()
    return True


def awaiting_reconfirmation(activity_id: int) -> set[int]:
    """Ids of the activity's records that were confirmed once and are pending again: an
    adjustment or a correction changed them afterwards, so they need confirming again."""
    confirmed_once = select(AuditEntry.checkin_id).where(
        AuditEntry.activity_id == activity_id, AuditEntry.action == "hours.confirm"
    )
    return set(
        db.session.scalars(
            select(CheckIn.id).where(
                CheckIn.activity_id == activity_id,
                CheckIn.status == HoursStatus.PENDING,
                CheckIn.id.in_(confirmed_once),
            )
        )
    )


def counts(activity_id: int) -> dict[str, int]:
    """Open, to-review and pending record counts of an activity."""
    row = db.session.execute(
        select(
            func.count().filter(CheckIn.checked_out_at.is_(None)),
            func.count().filter(CheckIn.needs_review.is_(True)),
            func.count().filter(CheckIn.status == HoursStatus.PENDING),
        ).where(CheckIn.activity_id == activity_id)
    ).one()
    return {"open": row[0], "review": row[1], "pending": row[2]}


def confirm_hours(activity: Activity, user: User, *, now: datetime) -> int:
    """Confirm all pending hours of an ended activity (志愿服务时长确认); returns how many.

    A published activity becomes finished. Each record's confirmation is audited, so a
    volunteer's own history shows it.

    The activity's row is locked first (``FOR NO KEY UPDATE`` on PostgreSQL, which lets
    check-ins through), so two confirmations, or a confirmation and a change of status,
    run one after the other and the second sees the first's outcome. The records are
    locked as they are read: an adjustment in flight finishes first, and its minutes are
    what is confirmed; only records checked out and not marked for review are confirmed.
    """
    db.session.get(
        Activity, activity.id, with_for_update={"key_share": True}, populate_existing=True
    )
    c = counts(activity.id)
    review_rules.validate_confirmation(
        status=activity.status.value,
        now=now,
        ends_at=activity.ends_at,
        open_count=c["open"],
        review_count=c["review"],
        pending_count=c["pending"],
    )
    records = db.session.scalars(
        select(CheckIn)
        .where(
            CheckIn.activity_id == activity.id,
            CheckIn.status == HoursStatus.PENDING,
            CheckIn.checked_out_at.is_not(None),
            CheckIn.needs_review.is_(False),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if not records:
        raise review_rules.HoursError("nothing_to_confirm")
    for record in records:
        record.status = HoursStatus.CONFIRMED
        audit.record(
            "hours.confirm",
            now=now,
            actor_user_id=user.id,
            activity_id=activity.id,
            checkin_id=record.id,
            volunteer_id=record.volunteer_id,
            old={"status": HoursStatus.PENDING.value},
            new={"status": HoursStatus.CONFIRMED.value, "minutes": record.minutes},
        )
    if activity.status == ActivityStatus.PUBLISHED:
        activity.status = ActivityStatus.FINISHED
        audit.record(
            "activity.status",
            now=now,
            actor_user_id=user.id,
            activity_id=activity.id,
            old={"status": ActivityStatus.PUBLISHED.value},
            new={"status": ActivityStatus.FINISHED.value},
        )
    db.session.flush()
    return len(records)
