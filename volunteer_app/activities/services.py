"""Activity services: creation and the organizer's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..auth.scoping import scoped_activities, visible_unit_ids
from ..checkins.models import CheckIn
from ..errors import DomainError
from ..extensions import db
from ..stations.models import Unit
from .models import Activity, ActivityStatus, Category

#: Longest activity we accept; longer ones are almost always a typo in the date.
MAX_DURATION = timedelta(days=7)


class ActivityError(DomainError):
    """An activity could not be saved."""

    status = 400
    messages = {
        "ends_before_start": _l("The end time must be after the start time."),
        "too_long": _l("An activity can last at most 7 days. Please check the dates."),
        "unit_not_allowed": _l("You cannot create activities for this station."),
        "unknown_category": _l("Please choose a category."),
    }


def validate_schedule(starts_at: datetime, ends_at: datetime) -> None:
    """Refuse an end before the start and implausibly long activities."""
    if ends_at <= starts_at:
        raise ActivityError("ends_before_start")
    if ends_at - starts_at > MAX_DURATION:
        raise ActivityError("too_long")


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
) -> Activity:
    """Create an activity for a unit the user manages."""
    validate_schedule(starts_at, ends_at)
    if db.session.scalar(visible_unit_ids(user).where(Unit.id == unit_id)) is None:
        raise ActivityError("unit_not_allowed")
    if db.session.get(Category, category_id) is None:
        raise ActivityError("unknown_category")
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
        created_by_id=user.id,
    )
    db.session.add(activity)
    db.session.flush()
    return activity


@dataclass(frozen=True)
class ActivityRow:
    """One line of the organizer's activity list."""

    activity: Activity
    checked_in: int


def list_for(user: User, *, now: datetime) -> tuple[list[ActivityRow], list[ActivityRow]]:
    """The user's current and upcoming activities, then past ones, with check-in counts."""
    counts = (
        select(CheckIn.activity_id, func.count().label("n"))
        .group_by(CheckIn.activity_id)
        .subquery()
    )
    stmt = (
        scoped_activities(user)
        .add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.activity_id == Activity.id)
        .options(joinedload(Activity.unit), joinedload(Activity.category))
        .order_by(Activity.starts_at.desc())
    )
    current: list[ActivityRow] = []
    past: list[ActivityRow] = []
    for activity, n in db.session.execute(stmt):
        row = ActivityRow(activity, n)
        (past if activity.ends_at < now else current).append(row)
    current.reverse()  # soonest first
    return current, past
