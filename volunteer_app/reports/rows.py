"""The rows of the xlsx/csv exports, streamed: ``yield_per`` gives a server-side cursor on
PostgreSQL and lazy fetching on SQLite, so memory stays flat whatever the size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import (
    Select,
    distinct,
    func,
    select,
)
from sqlalchemy.engine import Row

from volunteer_app.activities.models import Activity, Category
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.reports.sql import (
    held_in_period,
    in_period,
    sum_if,
    sums_columns,
    team_figures,
)
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team
from volunteer_app.volunteers.models import Household, Volunteer

#: Rows fetched at a time by streaming exports.
STREAM_BATCH = 2000


#: A volunteer's number as the exports read it ("" once the person deleted their account).
PHONE = func.coalesce(Household.phone, "").label("phone")


def _stream(stmt) -> Iterator[Row]:
    """Rows of ``stmt`` fetched in batches (a server-side cursor on PostgreSQL).

    The result itself, so that a reader stopping early can ``close()`` it: on SQLite an
    unfinished statement keeps its connection's read snapshot open."""
    return db.session.execute(stmt.execution_options(yield_per=STREAM_BATCH))


def attendance_rows(activity_id: int) -> Iterator[Row]:
    """Everyone who checked in at an activity, in order of arrival."""
    return _stream(
        select(
            Volunteer.name,
            PHONE,
            CheckIn.checked_in_at,
            CheckIn.checked_out_at,
            CheckIn.minutes,
            CheckIn.origin,
            CheckIn.status,
        )
        .join(Volunteer, Volunteer.id == CheckIn.volunteer_id)
        .outerjoin(Household, Household.id == Volunteer.household_id)
        .where(CheckIn.activity_id == activity_id)
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    )


def volunteer_hours_rows(scope_ids: Select, start: datetime, end: datetime) -> Iterator[Row]:
    """Hours per volunteer in the scope and period, most confirmed hours first."""
    confirmed = sum_if(CheckIn.status == HoursStatus.CONFIRMED, CheckIn.minutes)
    return _stream(
        select(
            Volunteer.name,
            PHONE,
            func.count(CheckIn.id).label("activities"),
            confirmed.label("confirmed"),
            sum_if(CheckIn.status == HoursStatus.PENDING, CheckIn.minutes).label("pending"),
            sum_if(CheckIn.origin == HoursOrigin.SCAN, CheckIn.minutes).label("scan"),
            sum_if(CheckIn.origin == HoursOrigin.ORGANIZER, CheckIn.minutes).label("organizer"),
            func.min(Activity.starts_at).label("first_at"),
            func.max(Activity.starts_at).label("last_at"),
        )
        .select_from(Activity)
        .join(CheckIn, CheckIn.activity_id == Activity.id)
        .join(Volunteer, Volunteer.id == CheckIn.volunteer_id)
        .outerjoin(Household, Household.id == Volunteer.household_id)
        .where(*held_in_period(scope_ids, start, end))
        .group_by(Volunteer.id, Volunteer.name, Household.phone)
        .order_by(confirmed.desc(), Volunteer.id)
    )


def activity_rows(scope_ids: Select, start: datetime, end: datetime) -> Iterator[Row]:
    """Every activity of the scope and period (cancelled ones too), with attendance figures."""
    return _stream(
        select(
            Activity.id,
            Activity.starts_at,
            Activity.ends_at,
            Activity.title,
            Activity.place,
            Activity.status,
            Unit.name.label("unit_name"),
            Team.name.label("team_name"),
            Category.name_zh,
            Category.name_en,
            func.count(distinct(CheckIn.volunteer_id)).label("volunteers"),
            *sums_columns(),
        )
        .join(Unit, Unit.id == Activity.unit_id)
        .outerjoin(Team, Team.id == Activity.team_id)
        .join(Category, Category.id == Activity.category_id)
        .outerjoin(CheckIn, CheckIn.activity_id == Activity.id)
        .where(*in_period(scope_ids, start, end))
        .group_by(
            Activity.id,
            Activity.starts_at,
            Activity.ends_at,
            Activity.title,
            Activity.place,
            Activity.status,
            Unit.name,
            Team.name,
            Category.name_zh,
            Category.name_en,
        )
        .order_by(Activity.starts_at, Activity.id)
    )


def checkin_rows(scope_ids: Select, start: datetime, end: datetime) -> Iterator[Row]:
    """Every check-in of the scope and period, one line each (the big export)."""
    return _stream(
        select(
            Activity.starts_at,
            Activity.title,
            Unit.name.label("unit_name"),
            Team.name.label("team_name"),
            Volunteer.name,
            PHONE,
            CheckIn.checked_in_at,
            CheckIn.checked_out_at,
            CheckIn.minutes,
            CheckIn.origin,
            CheckIn.status,
        )
        .select_from(Activity)
        .join(CheckIn, CheckIn.activity_id == Activity.id)
        .join(Unit, Unit.id == Activity.unit_id)
        .outerjoin(Team, Team.id == Activity.team_id)
        .join(Volunteer, Volunteer.id == CheckIn.volunteer_id)
        .outerjoin(Household, Household.id == Volunteer.household_id)
        .where(*held_in_period(scope_ids, start, end))
        .order_by(Activity.starts_at, Activity.id, CheckIn.id)
    )


def team_rows(scope_ids: Select, start: datetime, end: datetime) -> Iterator[Row]:
    """The figures of every team of the scope's units for the period (``sql.team_figures``)."""
    return _stream(team_figures(scope_ids, start, end))
