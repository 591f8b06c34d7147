"""Activity services: creation, editing, lifecycle, duplication and the organizer's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from volunteer_app.activities import rules
from volunteer_app.activities.models import Activity, ActivityStatus, Category
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import scoped_activities, team_fits_unit, visible_unit_ids
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.localtime import utc_to_local
from volunteer_app.stations.models import Unit

#: Longest activity we accept; longer ones are almost always a typo in the date.
MAX_DURATION = timedelta(days=7)


class ActivityError(DomainError):
    """An activity could not be saved."""

    status = 400
    messages = {
        "ends_before_start": _l("The end time must be after the start time."),
        "too_long": _l("An activity can last at most 7 days. Please check the dates."),
        "unit_not_allowed": _l("You cannot create activities for this station."),
        "unit_archived": _l("This unit is archived and takes no new activities."),
        "unknown_category": _l("Please choose a category."),
    }


def validate_schedule(starts_at: datetime, ends_at: datetime) -> None:
    """Refuse an end before the start and implausibly long activities."""
    if ends_at <= starts_at:
        raise ActivityError("ends_before_start")
    if ends_at - starts_at > MAX_DURATION:
        raise ActivityError("too_long")


#: The fields of an activity that its audit entries record, in the edit form's order.
AUDITED_FIELDS = (
    "title",
    "category_id",
    "unit_id",
    "place",
    "starts_at",
    "ends_at",
    "capacity",
    "description",
    "rotate_seconds",
    "allow_static_code",
    "team_id",
    "members_only",
)


def _audit_value(value):
    """A field's value as the audit log keeps it: times as ISO 8601 UTC, the rest as is."""
    return value.isoformat() if isinstance(value, datetime) else value


def snapshot(activity: Activity) -> dict:
    """The audited fields of an activity, as the audit log keeps them."""
    return {name: _audit_value(getattr(activity, name)) for name in AUDITED_FIELDS}


def _check_unit(user: User, unit_id: int, *, current_unit_id: int | None = None) -> None:
    """Refuse a unit the user does not manage, and an archived one (it takes no new
    activities) unless the activity is already there (editing its history)."""
    row = db.session.execute(
        select(Unit.id, Unit.archived_at).where(
            Unit.id == unit_id, Unit.id.in_(visible_unit_ids(user))
        )
    ).first()
    if row is None:
        raise ActivityError("unit_not_allowed")
    if row.archived_at is not None and unit_id != current_unit_id:
        raise ActivityError("unit_archived")


def _check_team(
    team_id: int | None, unit_id: int, members_only: bool, *, current_team_id: int | None = None
) -> None:
    """Refuse a team that does not belong to the activity's unit or a unit above it (a
    forged id of another station's team included), a disabled one unless it already runs
    the activity, and "members only" without a team (rules.validate_team_settings)."""
    team = team_fits_unit(team_id, unit_id) if team_id is not None else None
    rules.validate_team_settings(
        team_found=None if team_id is None else team is not None,
        team_active=team is not None and team.is_active,
        team_unchanged=team_id is not None and team_id == current_team_id,
        members_only=members_only,
    )


def categories() -> list[Category]:
    """All categories in display order."""
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)))


def create_activity(
    user: User,
    *,
    title: str,
    category_id: int,
    unit_id: int,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int | None = None,
    description: str = "",
    status: ActivityStatus = ActivityStatus.PUBLISHED,
    rotate_seconds: int | None = None,
    allow_static_code: bool | None = None,
    team_id: int | None = None,
    members_only: bool = False,
    copied_from: int | None = None,
    now: datetime,
) -> Activity:
    """Create an activity for a unit the user manages (audited "activity.create" with every
    field; ``copied_from`` names the activity a duplicate was made from)."""
    validate_schedule(starts_at, ends_at)
    _check_unit(user, unit_id)
    if db.session.get(Category, category_id) is None:
        raise ActivityError("unknown_category")
    _check_team(team_id, unit_id, members_only)
    activity = Activity(
        title=title.strip(),
        category_id=category_id,
        unit_id=unit_id,
        place=place.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        description=(description or "").strip(),
        status=status,
        team_id=team_id,
        members_only=members_only,
        created_by_id=user.id,
        created_at=now,
    )
    if rotate_seconds is not None:
        activity.rotate_seconds = rotate_seconds
    if allow_static_code is not None:
        activity.allow_static_code = allow_static_code
    db.session.add(activity)
    db.session.flush()
    new = {**snapshot(activity), "status": activity.status.value}
    if copied_from is not None:
        new["copied_from"] = copied_from
    audit.record(
        "activity.create", now=now, actor_user_id=user.id, activity_id=activity.id, new=new
    )
    db.session.flush()
    return activity


@dataclass(frozen=True)
class ActivityRow:
    """One line of the organizer's activity list."""

    activity: Activity
    checked_in: int
    #: Records whose hours are not confirmed yet.
    pending: int = 0
    #: Hours still unconfirmed after the 10-working-day recording deadline.
    overdue: bool = False


def list_for(user: User, *, now: datetime) -> tuple[list[ActivityRow], list[ActivityRow]]:
    """The user's current and upcoming activities, then past ones, with check-in counts."""
    pending_case = case((CheckIn.status == HoursStatus.PENDING, 1), else_=0)
    counts = (
        select(
            CheckIn.activity_id,
            func.count().label("n"),
            func.sum(pending_case).label("pending"),
        )
        .group_by(CheckIn.activity_id)
        .subquery()
    )
    stmt = (
        scoped_activities(user)
        .add_columns(func.coalesce(counts.c.n, 0), func.coalesce(counts.c.pending, 0))
        .outerjoin(counts, counts.c.activity_id == Activity.id)
        .options(joinedload(Activity.unit), joinedload(Activity.category))
        .order_by(Activity.starts_at.desc())
    )
    current: list[ActivityRow] = []
    past: list[ActivityRow] = []
    today = utc_to_local(now).date()
    for activity, n, pending in db.session.execute(stmt):
        overdue = activity.ends_at < now and rules.is_recording_overdue(
            ended_on=utc_to_local(activity.ends_at).date(), today=today, pending_count=pending
        )
        row = ActivityRow(activity, n, pending, overdue)
        (past if activity.ends_at < now else current).append(row)
    current.reverse()  # soonest first
    return current, past


def checkin_count(activity_id: int) -> int:
    """How many volunteers have a record at this activity."""
    return db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.activity_id == activity_id)
    )


def change_status(
    activity: Activity, user: User, target: ActivityStatus, *, now: datetime
) -> Activity:
    """Publish, finish, cancel or unpublish an activity (LifecycleError if not allowed).

    The activity's row is locked ``FOR UPDATE`` and re-read first. On PostgreSQL that is
    the one lock a check-in's ``FOR KEY SHARE`` waits for (``checkins.services.check_in``),
    so "only while nobody has checked in" holds: a check-in that came first is counted
    here, one that comes meanwhile waits and then sees the new status and is refused. Two
    changes at once run one after the other, the second from the first's outcome. On
    SQLite the writing request holds the write lock from its first statement.
    """
    db.session.get(Activity, activity.id, with_for_update=True, populate_existing=True)
    old = activity.status
    rules.validate_transition(
        old.value,
        target.value,
        now=now,
        ends_at=activity.ends_at,
        checkin_count=checkin_count(activity.id),
    )
    activity.status = target
    audit.record(
        "activity.status",
        now=now,
        actor_user_id=user.id,
        activity_id=activity.id,
        old={"status": old.value},
        new={"status": target.value},
    )
    db.session.flush()
    return activity


def update_activity(
    activity: Activity,
    user: User,
    *,
    title: str,
    category_id: int,
    unit_id: int,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int | None,
    description: str,
    rotate_seconds: int | None = None,
    allow_static_code: bool | None = None,
    team_id: int | None = None,
    members_only: bool = False,
    now: datetime,
) -> Activity:
    """Change an activity's details; finished and cancelled activities are locked.

    Audited ("activity.update") with the old and the new value of each changed field,
    times as ISO 8601 UTC; a save that changes nothing writes no entry. The row is re-read
    under ``FOR NO KEY UPDATE`` (PostgreSQL; check-ins go on), so an edit never lands on an
    activity finished or cancelled at the same moment.
    """
    db.session.get(
        Activity, activity.id, with_for_update={"key_share": True}, populate_existing=True
    )
    rules.validate_editable(activity.status.value)
    validate_schedule(starts_at, ends_at)
    _check_unit(user, unit_id, current_unit_id=activity.unit_id)
    if db.session.get(Category, category_id) is None:
        raise ActivityError("unknown_category")
    _check_team(team_id, unit_id, members_only, current_team_id=activity.team_id)
    before = snapshot(activity)
    activity.title = title.strip()
    activity.category_id = category_id
    activity.unit_id = unit_id
    activity.place = place.strip()
    activity.starts_at = starts_at
    activity.ends_at = ends_at
    activity.capacity = capacity
    activity.description = (description or "").strip()
    if rotate_seconds is not None:
        activity.rotate_seconds = rotate_seconds
    if allow_static_code is not None:
        activity.allow_static_code = allow_static_code
    activity.team_id = team_id
    activity.members_only = members_only
    after = snapshot(activity)
    changed = [name for name in AUDITED_FIELDS if before[name] != after[name]]
    if changed:
        audit.record(
            "activity.update",
            now=now,
            actor_user_id=user.id,
            activity_id=activity.id,
            old={name: before[name] for name in changed},
            new={name: after[name] for name in changed},
        )
    db.session.flush()
    return activity


def duplicate_activity(
    activity: Activity, user: User, *, new_starts_at: datetime, now: datetime
) -> Activity:
    """A copy of ``activity`` (same length, place, capacity) on a new date, as a draft."""
    starts_at, ends_at = rules.shift_to_new_start(
        activity.starts_at, activity.ends_at, new_starts_at
    )
    copy = create_activity(
        user,
        title=activity.title,
        category_id=activity.category_id,
        unit_id=activity.unit_id,
        place=activity.place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=activity.capacity,
        description=activity.description,
        status=ActivityStatus.DRAFT,
        rotate_seconds=activity.rotate_seconds,
        allow_static_code=activity.allow_static_code,
        # A copy keeps its team while the team is active: a disabled one takes no new one.
        team_id=activity.team_id if activity.team and activity.team.is_active else None,
        members_only=activity.members_only and bool(activity.team and activity.team.is_active),
        copied_from=activity.id,
        now=now,
    )
    return copy
