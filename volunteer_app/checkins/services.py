"""Check-in services: load what the rules need, apply them, write the record.

Services only flush; the request (or CLI command) commits once at the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, make_transient_to_detached

from volunteer_app.activities.models import Activity, ActivityStatus, Signup
from volunteer_app.auth.scoping import is_active_member
from volunteer_app.checkins import rules
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.checkins.review_rules import meets_min_presence
from volunteer_app.checkins.tokens import (
    TokenClaims,
    TokenError,
    validate_rotating,
    validate_v1,
)
from volunteer_app.extensions import db
from volunteer_app.transactions import begin_writing
from volunteer_app.volunteers.models import Volunteer


def window_for(activity: Activity) -> rules.Window:
    """The configured check-in window of an activity."""
    return _window(activity.starts_at, activity.ends_at)


def _window(starts_at: datetime, ends_at: datetime) -> rules.Window:
    config = current_app.config
    return rules.compute_window(
        starts_at,
        ends_at,
        opens_before=timedelta(minutes=config["CHECKIN_OPENS_BEFORE_MINUTES"]),
        closes_after=timedelta(minutes=config["CHECKIN_CLOSES_AFTER_MINUTES"]),
        checkout_grace=timedelta(minutes=config["CHECKOUT_GRACE_MINUTES"]),
    )


def checkout_margin() -> timedelta:
    """How long after its end any activity still takes check-outs (the same for all)."""
    end = datetime(2000, 1, 1, tzinfo=UTC)
    return _window(end, end).checkout_until - end


def check_members_only(activity: Activity, volunteer: Volunteer) -> None:
    """Refuse the volunteer's own sign-up or check-in at an activity open to its team's
    members only, unless they are an active member (MembersOnlyError ``members_only``)."""
    if not activity.members_only or activity.team_id is None:
        return  # most activities: no query at all
    rules.validate_members_only(
        members_only=True,
        team_name=activity.team.name,
        is_member=is_active_member(activity.team_id, volunteer.id),
    )


def find_record(activity_id: int, volunteer_id: int) -> CheckIn | None:
    """The volunteer's record at an activity, if any."""
    return db.session.scalar(
        select(CheckIn).where(
            CheckIn.activity_id == activity_id, CheckIn.volunteer_id == volunteer_id
        )
    )


def records_of(activity_id: int, volunteer_ids: list[int]) -> dict[int, CheckIn]:
    """The records of several volunteers (a household) at an activity, by volunteer id."""
    if not volunteer_ids:
        return {}
    return {
        record.volunteer_id: record
        for record in db.session.scalars(
            select(CheckIn).where(
                CheckIn.activity_id == activity_id, CheckIn.volunteer_id.in_(volunteer_ids)
            )
        )
    }


def check_in(
    activity: Activity,
    volunteer: Volunteer,
    *,
    now: datetime,
    recorded_by_id: int | None = None,
    on_behalf: bool | None = None,
) -> CheckIn:
    """Check a volunteer in, or raise CheckInError (e.g. ``already_checked_in``, which
    then carries the existing record as ``record`` when it was read).

    A record is made on the volunteer's behalf (origin ``organizer``, not self-made) when an
    organizer records it (``recorded_by_id``) or a team leader does (``on_behalf=True``,
    with no organizer: the audit entry names the leader); otherwise it is their own scan.

    One statement on the happy path: the rules are checked against the activity as if
    there were no record yet, then ``INSERT … SELECT … ON CONFLICT (activity, volunteer)
    DO NOTHING RETURNING`` writes the record. The unique constraint settles concurrent
    scans without a savepoint. The SELECT re-reads the activity's status as the row is
    written, so a check-in never lands on an activity cancelled (or turned back into a
    draft) since it was loaded: on PostgreSQL it holds the activity's row ``FOR KEY
    SHARE``, which waits for a cancellation holding it ``FOR UPDATE``
    (``activities.services.change_status``) and then sees its outcome; on SQLite the
    INSERT runs under the write lock. No row back means the volunteer is already in, or
    the status changed: only then is the record (or the activity) read again. Only a
    refusal of the window reads the record, so that a volunteer who is already in still
    hears "already checked in" after closing time, as the rule orders its checks.
    """
    if volunteer.deleted_at is not None:
        raise rules.CheckInError("account_deleted", status=404)
    window = window_for(activity)
    try:
        rules.validate_check_in(
            status=activity.status.value, window=window, now=now, checked_in_at=None
        )
    except rules.CheckInError as error:
        if error.code in ("not_open_yet", "closed"):
            existing = find_record(activity.id, volunteer.id)
            if existing is not None:
                rules.validate_check_in(
                    status=activity.status.value,
                    window=window,
                    now=now,
                    checked_in_at=existing.checked_in_at,
                )
        raise
    if on_behalf is None:
        on_behalf = recorded_by_id is not None
    params = {
        "activity_id": activity.id,
        "volunteer_id": volunteer.id,
        "checked_in_at": now,
        "origin": HoursOrigin.ORGANIZER if on_behalf else HoursOrigin.SCAN,
        "recorded_by_id": recorded_by_id,
        "self_made": not on_behalf,
    }
    to_close = rules.plan_check_in(now, lock_stays(volunteer.id, since=now, besides=activity.id))
    statement = _insert_statement(db.session.get_bind().dialect.name)
    row = db.session.connection().execute(statement, params).first()
    if row is None:
        existing = find_record(activity.id, volunteer.id)
        if existing is None:
            if _voided_here(activity.id, volunteer.id):
                raise rules.CheckInError("voided_here")
            db.session.refresh(activity)  # the status changed meanwhile: say which
            rules.validate_status(activity.status.value)
        error = rules.CheckInError("already_checked_in")
        error.record = existing  # the caller answers with it without reading it again
        raise error
    # The row as a persistent record without reading it back: the ORM's own INSERT …
    # RETURNING path costs about as much again as the statement itself.
    record = CheckIn(**row._mapping)
    make_transient_to_detached(record)
    db.session.add(record)
    #: The records elsewhere this check-in closed ("check-in at B checks out of A").
    record.closed_elsewhere = [
        closed
        for stay in to_close
        if (closed := _close_elsewhere(stay, record, now=now, recorded_by_id=recorded_by_id))
    ]
    return record


def lock_stays(
    volunteer_id: int,
    *,
    since: datetime | None,
    until: datetime | None = None,
    besides: int | None = None,
    now: datetime | None = None,
) -> list[rules.Stay]:
    """The volunteer's other live records that may share time with [since, until).

    Locks the volunteer's row first (``FOR NO KEY UPDATE`` on PostgreSQL; on SQLite the
    writing is begun, so the write lock is held), so that two writes of the same person's
    records at the same moment run one after the other and the second sees the first:
    the read-check-write of the overlap rule is then safe. ``besides`` leaves out one
    activity (the one being written).

    A record left open whose activity stopped taking check-outs before ``since`` can no
    longer run into the interval: it is taken as ending at its activity's end, where the
    end-of-day closing will close it (``review.close_all_due``). Only open records that
    could still be checked out by then are stays that run on.

    ``since`` None reads all of the person's records (a merge looks at two whole
    histories); an open record is then judged stale as of ``now``.
    """
    stale_at = since if since is not None else now
    if stale_at is None:
        raise ValueError("lock_stays needs since or now")
    lock_volunteer(volunteer_id)
    query = (
        select(
            CheckIn.id,
            CheckIn.activity_id,
            CheckIn.checked_in_at,
            CheckIn.checked_out_at,
            Activity.ends_at,
        )
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(CheckIn.volunteer_id == volunteer_id)
    )
    if since is not None:
        query = query.where(or_(CheckIn.checked_out_at.is_(None), CheckIn.checked_out_at > since))
    if until is not None:
        query = query.where(CheckIn.checked_in_at < until)
    if besides is not None:
        query = query.where(CheckIn.activity_id != besides)
    margin = checkout_margin()
    return [stay_of(*row, stale_at=stale_at, margin=margin) for row in db.session.execute(query)]


def stay_of(
    record_id: int,
    activity_id: int,
    begins_at: datetime,
    ends_at: datetime | None,
    activity_ends_at: datetime,
    *,
    stale_at: datetime,
    margin: timedelta,
) -> rules.Stay:
    """A record's stay; left open past its activity's last check-out before ``stale_at``, it
    ends at its activity's end, where the end-of-day closing will close it."""
    if ends_at is None and activity_ends_at + margin <= stale_at:
        ends_at = max(activity_ends_at, begins_at)
    return rules.Stay(record_id, activity_id, begins_at, ends_at)


def _voided_here(activity_id: int, volunteer_id: int) -> bool:
    """Whether the volunteer's one record at the activity is a voided one."""
    return (
        db.session.scalar(
            select(CheckIn.id)
            .where(
                CheckIn.activity_id == activity_id,
                CheckIn.volunteer_id == volunteer_id,
                CheckIn.voided_at.is_not(None),
            )
            .execution_options(include_voided=True)
        )
        is not None
    )


def lock_volunteer(volunteer_id: int) -> None:
    """Hold the volunteer's row (``FOR NO KEY UPDATE``; SQLite: begin the writing) until the
    end of the transaction: every write of a person's record times takes it first."""
    begin_writing()
    db.session.execute(
        select(Volunteer.id).where(Volunteer.id == volunteer_id).with_for_update(key_share=True)
    )


def validate_free(
    volunteer_id: int, begins_at: datetime, ends_at: datetime, *, besides: int
) -> None:
    """Raise CheckInError("overlaps") if [begins_at, ends_at) shares time with another of
    the volunteer's live records (locked as ``lock_stays`` does)."""
    stays = lock_stays(volunteer_id, since=begins_at, until=ends_at, besides=besides)
    rules.validate_no_overlap(begins_at, ends_at, stays)


def _close_elsewhere(
    stay: rules.Stay, record: CheckIn, *, now: datetime, recorded_by_id: int | None
) -> CheckIn | None:
    """Check the volunteer out of ``stay`` at ``now``, because ``record`` began (audited).

    An ordinary check-out at ``now``: hours clipped to the other activity's schedule,
    minimum presence applied (a stay past its check-out time is not a running stay, see
    ``lock_stays``, so it is never closed here). Returns the record closed, or None when a
    check-out landed first.
    """
    from volunteer_app.audit import services as audit

    other = db.session.get(CheckIn, stay.record_id)
    activity = other.activity
    values: dict = {
        "checked_out_at": now,
        "minutes": rules.compute_minutes(stay.begins_at, now, activity.starts_at, activity.ends_at),
    }
    percent = current_app.config.get("MIN_PRESENCE_PERCENT", 0)
    if not meets_min_presence(stay.begins_at, now, activity.starts_at, activity.ends_at, percent):
        values.update(minutes=0, needs_review=True)
    result = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == other.id, CheckIn.checked_out_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    db.session.refresh(other)
    audit.record(
        "checkout.auto",
        now=now,
        actor_user_id=recorded_by_id,
        actor_volunteer_id=None if recorded_by_id else record.volunteer_id,
        activity_id=activity.id,
        checkin_id=other.id,
        volunteer_id=other.volunteer_id,
        old={"checked_out_at": None},
        new={
            "checked_out_at": other.checked_out_at.isoformat(),
            "minutes": other.minutes,
            "because_checkin_id": record.id,
            "because_activity_id": record.activity_id,
        },
    )
    return other


@lru_cache(maxsize=4)
def _insert_statement(dialect: str):
    """The check-in INSERT, built once per dialect (building it showed in the profile).

    Both SQLite and PostgreSQL know ``INSERT … SELECT``, ``ON CONFLICT … DO NOTHING`` and
    ``RETURNING``. The SELECT yields the new row only while the activity takes check-ins
    (neither draft nor cancelled); ``FOR KEY SHARE`` is PostgreSQL's (SQLite ignores it),
    the lock the foreign key takes anyway. A Core statement on the table (not the ORM
    entity), run on the session's connection.
    """
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = CheckIn.__table__
    activities = Activity.__table__
    columns = (
        "activity_id",
        "volunteer_id",
        "checked_in_at",
        "origin",
        "recorded_by_id",
        "self_made",
    )
    values = select(*(bindparam(name, type_=table.c[name].type) for name in columns))
    values = values.where(
        activities.c.id == bindparam("activity_id"),
        activities.c.status.in_([ActivityStatus.PUBLISHED, ActivityStatus.FINISHED]),
    ).with_for_update(read=True, key_share=True, of=activities)
    return (
        insert(table)
        .from_select(columns, values)
        .on_conflict_do_nothing(index_elements=["activity_id", "volunteer_id"])
        .returning(*table.c)
    )


def check_out(
    activity: Activity,
    volunteer: Volunteer,
    *,
    now: datetime,
    recorded_by_id: int | None = None,
    on_behalf: bool | None = None,
) -> CheckIn:
    """Check a volunteer out and credit the hours, or raise CheckInError.

    The update is conditional on the record still being open, so two concurrent
    check-outs credit the hours once. With ``MIN_PRESENCE_PERCENT`` set, a stay shorter
    than that share of the activity credits nothing and is marked for review.
    ``recorded_by_id`` (an organizer checking out on the volunteer's behalf) makes the
    hours the organizer's; ``on_behalf=True`` without one (a team leader) makes them
    recorded on the volunteer's behalf by no organizer.
    """
    record = find_record(activity.id, volunteer.id)
    rules.validate_check_out(
        status=activity.status.value,
        window=window_for(activity),
        now=now,
        checked_in_at=record.checked_in_at if record else None,
        checked_out_at=record.checked_out_at if record else None,
    )
    assert record is not None  # validate_check_out raised otherwise
    rules.validate_check_out_time(record.checked_in_at, now)
    validate_free(volunteer.id, record.checked_in_at, now, besides=activity.id)
    minutes = rules.compute_minutes(record.checked_in_at, now, activity.starts_at, activity.ends_at)
    values: dict = {"checked_out_at": now, "minutes": minutes}
    percent = current_app.config.get("MIN_PRESENCE_PERCENT", 0)
    if not meets_min_presence(
        record.checked_in_at, now, activity.starts_at, activity.ends_at, percent
    ):
        values.update(minutes=0, needs_review=True)
    if on_behalf is None:
        on_behalf = recorded_by_id is not None
    if on_behalf:
        values.update(origin=HoursOrigin.ORGANIZER, recorded_by_id=recorded_by_id)
    result = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == record.id, CheckIn.checked_out_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise rules.CheckInError("already_checked_out")
    db.session.refresh(record)
    return record


def attendance(activity_id: int) -> list[CheckIn]:
    """An activity's records with their volunteers, earliest arrival first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .options(joinedload(CheckIn.volunteer))
            .where(CheckIn.activity_id == activity_id)
            .order_by(CheckIn.checked_in_at, CheckIn.id)
        )
    )


def count_records(activity_id: int) -> int:
    """How many volunteers have checked in to an activity."""
    return db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.activity_id == activity_id)
    )


def validate_token_use(
    activity: Activity, claims: TokenClaims, *, now: datetime, opened_at: datetime | None = None
) -> None:
    """Raise TokenError unless this code is accepted for the activity right now.

    Version 1 codes only while the activity still accepts them and its check-out window is
    open. Static poster codes: only if the activity allows them. Rotating projector codes:
    within about two periods, or within the submit grace after ``opened_at`` (the verified
    moment the volunteer's check-in page was opened while the code was valid).
    """
    if claims.version == 1:
        validate_v1(
            accepted=activity.accepts_v1_tokens,
            checkout_until=window_for(activity).checkout_until,
            now=now,
        )
    elif claims.key != activity.checkin_key:
        raise TokenError("invalid")
    if claims.kind == "static":
        if not activity.allow_static_code:
            raise TokenError("static_disabled")
        return
    validate_rotating(
        claims.step or 0,
        period=activity.rotate_seconds,
        now=now,
        opened_at=opened_at,
        grace_seconds=current_app.config["ROTATING_SUBMIT_GRACE_SECONDS"],
    )


def validate_correction(
    record: CheckIn, checked_in_at: datetime, checked_out_at: datetime, *, now: datetime
) -> None:
    """Raise CheckInError unless a record may be set to these times: none in the future,
    none outside the activity (``rules.validate_record_times``), none shared with another
    of the person's records (``overlaps``; the volunteer's row is locked from here on)."""
    rules.validate_record_times(
        checked_in_at, checked_out_at, window=window_for(record.activity), now=now
    )
    validate_free(record.volunteer_id, checked_in_at, checked_out_at, besides=record.activity_id)


def apply_correction(
    record: CheckIn,
    *,
    checked_in_at: datetime,
    checked_out_at: datetime,
    organizer_id: int,
    now: datetime,
    reason: str,
    correction_id: int | None = None,
) -> CheckIn:
    """Set a record's times as an organizer found them right (Art. 13 correction).

    The hours follow the same rule as a scan (``rules.compute_minutes``: clipped to the
    activity's schedule, rounded down to 30 minutes); the origin becomes ``organizer`` so
    reports keep these hours apart from self-scanned ones. Audit-logged with old and new.
    The record is re-read under a row lock first, so the old values logged are the ones
    replaced, even when a check-out or an adjustment landed just before.
    """
    from volunteer_app.audit import services as audit

    activity = record.activity
    validate_correction(record, checked_in_at, checked_out_at, now=now)
    db.session.get(CheckIn, record.id, with_for_update=True, populate_existing=True)
    old = {
        "checked_in_at": record.checked_in_at.isoformat(),
        "checked_out_at": record.checked_out_at.isoformat() if record.checked_out_at else None,
        "minutes": record.minutes,
        "origin": record.origin.value,
        "status": record.status.value,
    }
    record.checked_in_at = checked_in_at
    record.checked_out_at = checked_out_at
    record.minutes = rules.compute_minutes(
        checked_in_at, checked_out_at, activity.starts_at, activity.ends_at
    )
    record.origin = HoursOrigin.ORGANIZER
    record.recorded_by_id = organizer_id
    record.needs_review = False  # an organizer has just looked at it
    # Confirmed means these very times and minutes were confirmed: a change needs it again.
    record.status = HoursStatus.PENDING
    audit.record(
        "correction.accept",
        now=now,
        actor_user_id=organizer_id,
        activity_id=activity.id,
        checkin_id=record.id,
        volunteer_id=record.volunteer_id,
        old=old,
        new={
            "checked_in_at": checked_in_at.isoformat(),
            "checked_out_at": checked_out_at.isoformat(),
            "minutes": record.minutes,
            "origin": record.origin.value,
            "status": record.status.value,
            "correction_id": correction_id,
        },
        personal={"reason": reason},
    )
    db.session.flush()
    return record


def signed_up(activity_id: int, volunteer_id: int) -> bool:
    """Whether the volunteer has an active sign-up for the activity."""
    return (
        db.session.scalar(
            select(Signup.id).where(
                Signup.activity_id == activity_id,
                Signup.volunteer_id == volunteer_id,
                Signup.cancelled_at.is_(None),
            )
        )
        is not None
    )
