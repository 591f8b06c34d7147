"""Scoped, paginated queries for the API lists (SQL does the counting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import scoped_activities
from volunteer_app.checkins.models import CheckIn
from volunteer_app.extensions import db


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list, 1-based."""

    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.per_page


def _total(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def activities(
    user: User,
    paging: PageRequest,
    *,
    station_id: int | None = None,
    status: ActivityStatus | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
) -> tuple[list[tuple[Activity, int]], int]:
    """The user's activities with their record counts, newest first, and the total."""
    stmt = scoped_activities(user)
    if station_id is not None:
        stmt = stmt.where(Activity.unit_id == station_id)
    if status is not None:
        stmt = stmt.where(Activity.status == status)
    if starts_from is not None:
        stmt = stmt.where(Activity.starts_at >= starts_from)
    if starts_before is not None:
        stmt = stmt.where(Activity.starts_at < starts_before)
    total = _total(stmt)
    counts = (
        select(CheckIn.activity_id, func.count().label("n"))
        .group_by(CheckIn.activity_id)
        .subquery()
    )
    page = (
        stmt.add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.activity_id == Activity.id)
        .options(joinedload(Activity.unit), joinedload(Activity.category))
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
        .offset(paging.offset)
        .limit(paging.per_page)
    )
    return [(a, n) for a, n in db.session.execute(page)], total


def checkins(activity_id: int, paging: PageRequest) -> tuple[list[CheckIn], int]:
    """One page of an activity's records (with volunteers), in arrival order, and the total."""
    stmt = select(CheckIn).where(CheckIn.activity_id == activity_id)
    total = _total(stmt)
    rows = db.session.scalars(
        stmt.options(joinedload(CheckIn.volunteer))
        .order_by(CheckIn.checked_in_at, CheckIn.id)
        .offset(paging.offset)
        .limit(paging.per_page)
    )
    return list(rows), total


def record_count(activity_id: int) -> int:
    """How many records an activity has."""
    return db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.activity_id == activity_id)
    )
