"""Scoped, paginated queries for the API lists (SQL does the counting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import scoped_activities, scoped_teams
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.teams.models import MemberStatus, Team, TeamMember
from volunteer_app.volunteers.models import Volunteer


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


# --- teams ---------------------------------------------------------------------------------


def _member_counts():
    return (
        select(TeamMember.team_id, func.count().label("n"))
        .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
        .where(TeamMember.status == MemberStatus.ACTIVE, Volunteer.deleted_at.is_(None))
        .group_by(TeamMember.team_id)
        .subquery()
    )


def _with_counts(stmt: Select) -> Select:
    counts = _member_counts()
    return (
        stmt.add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.team_id == Team.id)
        .options(joinedload(Team.unit), joinedload(Team.categories))
    )


def teams(
    user: User, paging: PageRequest, *, unit_id: int | None = None
) -> tuple[list[tuple[Team, int]], int]:
    """The teams of the user's units with their active member counts, by name, and the total;
    ``unit_id`` keeps those of one unit (none when it is not one of theirs)."""
    stmt = scoped_teams(user)
    if unit_id is not None:
        stmt = stmt.where(Team.unit_id == unit_id)
    total = _total(stmt)
    page = (
        _with_counts(stmt).order_by(Team.name, Team.id).offset(paging.offset).limit(paging.per_page)
    )
    return [(t, n) for t, n in db.session.execute(page).unique()], total


def team_or_404(user: User, team_id: int) -> tuple[Team, int]:
    """A team of the user's units with its active member count; 404 for any other."""
    row = db.session.execute(_with_counts(scoped_teams(user).where(Team.id == team_id))).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def team_members(
    team_id: int, paging: PageRequest
) -> tuple[list[tuple[TeamMember, Volunteer, int]], int]:
    """One page of a team's active members with live accounts (``scoping.is_team_member``,
    written on the membership row itself here), leaders first, then by joining,
    each with the confirmed minutes of their records at the team's activities; the total."""
    stmt = (
        select(TeamMember, Volunteer)
        .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
        .where(
            TeamMember.team_id == team_id,
            TeamMember.status == MemberStatus.ACTIVE,
            Volunteer.deleted_at.is_(None),
        )
    )
    total = _total(stmt)
    served = (
        select(CheckIn.volunteer_id, func.sum(CheckIn.minutes).label("minutes"))
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(
            Activity.team_id == team_id,
            CheckIn.status == HoursStatus.CONFIRMED,
            CheckIn.voided_at.is_(None),
        )
        .group_by(CheckIn.volunteer_id)
        .subquery()
    )
    page = (
        stmt.add_columns(func.coalesce(served.c.minutes, 0))
        .outerjoin(served, served.c.volunteer_id == Volunteer.id)
        .order_by(TeamMember.is_leader.desc(), TeamMember.changed_at, TeamMember.id)
        .offset(paging.offset)
        .limit(paging.per_page)
    )
    return [(m, v, int(n)) for m, v, n in db.session.execute(page)], total
