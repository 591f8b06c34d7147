"""Discovery and sign-up: upcoming published activities, signing up and cancelling.

A sign-up says "I plan to come"; it is not attendance. Hours still come only from a
check-in at the place (the QR code there) and the organizer's confirmation, so signing up
from home earns nothing by itself. The capacity limits sign-ups; check-in at the place
stays open to everyone (Activity.capacity is informative there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity, ActivityStatus, Category, Signup
from volunteer_app.checkins.services import check_members_only, signed_up
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.localtime import local_to_utc
from volunteer_app.stations.models import Unit
from volunteer_app.volunteers.models import Volunteer

#: How many activities the discovery list shows at most.
LIST_LIMIT = 100


class SignupError(DomainError):
    """A sign-up or cancellation was refused."""

    status = 409
    messages = {
        "not_open": _l("Sign-up is not open for this activity."),
        "started": _l("This activity has already started; just come and scan the QR code there."),
        "full": _l("This activity is full."),
        "already": _l("You have already signed up for this activity."),
        "not_signed_up": _l("You have not signed up for this activity."),
    }


# --- rules (pure) ---------------------------------------------------------------------------


def validate_sign_up(
    *,
    status: str,
    starts_at: datetime,
    now: datetime,
    taken: int,
    capacity: int | None,
    already: bool,
) -> None:
    """Refuse a sign-up unless the activity is published, not started and not full."""
    if status != ActivityStatus.PUBLISHED.value:
        raise SignupError("not_open")
    if now >= starts_at:
        raise SignupError("started")
    if already:
        raise SignupError("already")
    if capacity is not None and taken >= capacity:
        raise SignupError("full")


def validate_cancel(*, starts_at: datetime, now: datetime, signed_up: bool) -> None:
    """Cancelling is possible until the activity starts."""
    if not signed_up:
        raise SignupError("not_signed_up")
    if now >= starts_at:
        raise SignupError("started")


# --- services ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One activity in the discovery list, with its active sign-up count."""

    activity: Activity
    taken: int


def _to_come(now: datetime) -> tuple:
    """What the discovery list and its filter menus show: published, not over yet."""
    return Activity.status == ActivityStatus.PUBLISHED, Activity.ends_at > now


def _active_counts():
    return (
        select(Signup.activity_id, func.count().label("taken"))
        .where(Signup.cancelled_at.is_(None))
        .group_by(Signup.activity_id)
        .subquery()
    )


def upcoming(
    *,
    now: datetime,
    unit_id: int | None = None,
    category_id: int | None = None,
    day: date | None = None,
) -> list[Listing]:
    """Published activities not yet over, soonest first, filtered by station, category, day."""
    counts = _active_counts()
    query = (
        select(Activity, func.coalesce(counts.c.taken, 0))
        .outerjoin(counts, counts.c.activity_id == Activity.id)
        .options(
            joinedload(Activity.unit), joinedload(Activity.category), joinedload(Activity.team)
        )
        .where(*_to_come(now))
        .order_by(Activity.starts_at, Activity.id)
        .limit(LIST_LIMIT)
    )
    if unit_id:
        query = query.where(Activity.unit_id == unit_id)
    if category_id:
        query = query.where(Activity.category_id == category_id)
    if day:
        begin = local_to_utc(datetime.combine(day, datetime.min.time()))
        query = query.where(
            Activity.starts_at >= begin, Activity.starts_at < begin + timedelta(days=1)
        )
    return [Listing(activity, taken) for activity, taken in db.session.execute(query)]


def filter_choices(now: datetime) -> tuple[list[Unit], list[Category]]:
    """Stations and categories that have activities to come (for the filter menus)."""
    upcoming_ids = select(Activity.id).where(*_to_come(now))
    units = db.session.scalars(
        select(Unit)
        .where(Unit.id.in_(select(Activity.unit_id).where(Activity.id.in_(upcoming_ids))))
        .order_by(Unit.name)
    )
    categories = db.session.scalars(
        select(Category)
        .where(Category.id.in_(select(Activity.category_id).where(Activity.id.in_(upcoming_ids))))
        .order_by(Category.sort_order, Category.id)
    )
    return list(units), list(categories)


def public_activity(activity_id: int) -> Activity | None:
    """A published, cancelled or finished activity anyone may see; drafts stay hidden."""
    activity = db.session.get(
        Activity,
        activity_id,
        options=[
            joinedload(Activity.unit),
            joinedload(Activity.category),
            joinedload(Activity.team),
        ],
    )
    if activity is None or activity.status == ActivityStatus.DRAFT:
        return None
    return activity


def taken(activity_id: int) -> int:
    """Active sign-ups of an activity."""
    return db.session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(Signup.activity_id == activity_id, Signup.cancelled_at.is_(None))
    )


def find(activity_id: int, volunteer_id: int) -> Signup | None:
    """The volunteer's sign-up row for an activity (cancelled or not)."""
    return db.session.scalar(
        select(Signup).where(Signup.activity_id == activity_id, Signup.volunteer_id == volunteer_id)
    )


#: Whether the volunteer has an active sign-up (the check-in page asks it too).
is_signed_up = signed_up


def sign_up(activity: Activity, volunteer: Volunteer, *, now: datetime) -> Signup:
    """Sign the volunteer up (again, if they had cancelled), or raise SignupError, or
    MembersOnlyError (``members_only``) at an activity of its team's members only when the
    volunteer is not an active member.

    The activity's row is locked and re-read first on PostgreSQL (SQLite's writing
    requests hold the write lock from their first statement), so two last-place sign-ups
    at once cannot both pass the capacity check, and a sign-up sees a cancellation or
    a change of capacity made at the same moment.
    """
    db.session.get(
        Activity, activity.id, with_for_update={"key_share": True}, populate_existing=True
    )
    row = find(activity.id, volunteer.id)
    validate_sign_up(
        status=activity.status.value,
        starts_at=activity.starts_at,
        now=now,
        taken=taken(activity.id),
        capacity=activity.capacity,
        already=row is not None and row.cancelled_at is None,
    )
    check_members_only(activity, volunteer)
    if row is not None:
        row.cancelled_at, row.created_at = None, now
        db.session.flush()
        return row
    row = Signup(activity_id=activity.id, volunteer_id=volunteer.id, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise SignupError("already") from None
    return row


def cancel(activity: Activity, volunteer: Volunteer, *, now: datetime) -> Signup:
    """Cancel the volunteer's sign-up before the activity starts.

    ``UPDATE … WHERE cancelled_at IS NULL``: of two cancels at once one cancels, and the
    other hears ``not_signed_up``; the time of the first stays.
    """
    row = find(activity.id, volunteer.id)
    validate_cancel(
        starts_at=activity.starts_at,
        now=now,
        signed_up=row is not None and row.cancelled_at is None,
    )
    assert row is not None
    result = db.session.execute(
        update(Signup)
        .where(Signup.id == row.id, Signup.cancelled_at.is_(None))
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    if result.rowcount != 1:
        raise SignupError("not_signed_up")
    return row


def for_activity(activity_id: int) -> list[Signup]:
    """Active sign-ups of an activity with their volunteers, in sign-up order."""
    return list(
        db.session.scalars(
            select(Signup)
            .options(joinedload(Signup.volunteer))
            .where(Signup.activity_id == activity_id, Signup.cancelled_at.is_(None))
            .order_by(Signup.created_at, Signup.id)
        )
    )


def upcoming_for_volunteer(volunteer_id: int, now: datetime) -> list[Activity]:
    """Activities the volunteer signed up for that are not over yet, soonest first."""
    return list(
        db.session.scalars(
            select(Activity)
            .join(Signup, Signup.activity_id == Activity.id)
            .options(joinedload(Activity.unit))
            .where(
                Signup.volunteer_id == volunteer_id,
                Signup.cancelled_at.is_(None),
                Activity.ends_at > now,
                Activity.status != ActivityStatus.CANCELLED,
            )
            .order_by(Activity.starts_at)
        )
    )
