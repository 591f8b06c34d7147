"""The rows of the xlsx/csv exports, streamed: ``yield_per`` gives a server-side cursor on
PostgreSQL and lazy fetching on SQLite, so memory stays flat whatever the size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import (
    distinct,
    func,
    select,
)
from sqlalchemy.engine import Row

from volunteer_app.activities.models import Activity, Category
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.needs import services as need_services
from volunteer_app.needs.rules import Figures
from volunteer_app.reports.sql import (
    UnitIds,
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


def volunteer_hours_rows(scope_ids: UnitIds, start: datetime, end: datetime) -> Iterator[Row]:
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


def activity_rows(scope_ids: UnitIds, start: datetime, end: datetime) -> Iterator[Row]:
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


def checkin_rows(scope_ids: UnitIds, start: datetime, end: datetime) -> Iterator[Row]:
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


def team_rows(scope_ids: UnitIds, start: datetime, end: datetime) -> Iterator[Row]:
    """The figures of every team of the scope for the period (``sql.team_figures``)."""
    return _stream(team_figures(scope_ids, start, end))


@dataclass(frozen=True)
class OrderLine:
    """A line of the orders export: a unit of the drill-down (or the total) and its
    figures (``needs.services.figures`` over the unit's subtree)."""

    name: str
    unit_id: int | None  #: None for the total
    figures: Figures


def order_lines(scope: Unit, scope_ids: UnitIds, start: datetime, end: datetime) -> list[OrderLine]:
    """The order figures of the scope's drill-down, as the dashboard's "按单位" lines: the
    orders placed at the scope unit itself (when it has any), then each direct child with
    its subtree rolled up (every child, by name, with or without orders), then the total.
    A unit with nothing below it has its own line and the total. One set of statements
    (``figures_by``, then ``figures`` for the total), not
    one per unit."""
    units = {
        row.id: row
        for row in db.session.execute(
            select(Unit.id, Unit.name, Unit.parent_id).where(Unit.id.in_(scope_ids))
        )
    }
    children = sorted((u for u in units.values() if u.parent_id == scope.id), key=lambda u: u.name)

    def line_of(station_id: int) -> int | None:
        """The drill-down line (a child of the scope, or the scope) of a station's orders."""
        unit = units.get(station_id)
        while unit is not None and unit.id != scope.id and unit.parent_id != scope.id:
            unit = units.get(unit.parent_id)
        return unit.id if unit is not None else None

    by_line = need_services.figures_by(scope_ids, start, end, line_of)
    empty = need_services.no_figures()
    total = need_services.figures(scope_ids, start, end)
    lines = []
    own = by_line.get(scope.id)
    if own is not None or not children:
        name = _("%(name)s (own orders)", name=scope.name) if children else scope.name
        lines.append(OrderLine(name, scope.id, own or empty))
    lines.extend(OrderLine(c.name, c.id, by_line.get(c.id) or empty) for c in children)
    lines.append(OrderLine(_("Total"), None, total))
    return lines
