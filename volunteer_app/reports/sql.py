"""SQL pieces the dashboard and the exports share: which activities a period holds, and the
sums of minutes by status and origin.

An activity counts in a period when it *starts* in it; check-ins and hours of cancelled
activities are left out of every figure (cancelled activities are counted apart).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    func,
    or_,
    select,
)

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team

#: A scope's units: their ids listed (``scoping.scope_unit_id_list``, what requests pass) or
#: a SELECT of them (the volunteer sets' tests, ad-hoc callers).
UnitIds = Select | list[int]


def in_period(scope_ids: UnitIds, start: datetime, end: datetime) -> list:
    return [Activity.unit_id.in_(scope_ids), Activity.starts_at >= start, Activity.starts_at < end]


def held_in_period(scope_ids: UnitIds, start: datetime, end: datetime) -> list:
    return [*in_period(scope_ids, start, end), Activity.status != ActivityStatus.CANCELLED]


def sum_if(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def sums_columns() -> list:
    return [
        func.count(CheckIn.id).label("checkins"),
        sum_if(CheckIn.status == HoursStatus.CONFIRMED, CheckIn.minutes).label("confirmed"),
        sum_if(CheckIn.status == HoursStatus.PENDING, CheckIn.minutes).label("pending"),
        sum_if(CheckIn.origin == HoursOrigin.SCAN, CheckIn.minutes).label("scan"),
        sum_if(CheckIn.origin == HoursOrigin.ORGANIZER, CheckIn.minutes).label("organizer"),
        sum_if(and_(CheckIn.id.is_not(None), CheckIn.checked_out_at.is_(None)), 1).label("open"),
    ]


def teams_in_scope(scope_ids: UnitIds, start: datetime, end: datetime) -> ColumnElement[bool]:
    """The condition on ``Team`` of the teams a report of the scope lists: those of the
    scope's units, and those of a unit above that ran one of the scope's activities held in
    the period (a centre's team at a station's activity is in the station's report)."""
    ran_here = select(Activity.team_id).where(
        Activity.team_id.is_not(None), *held_in_period(scope_ids, start, end)
    )
    return or_(Team.unit_id.in_(scope_ids), Team.id.in_(ran_here))


def team_figures(scope_ids: UnitIds, start: datetime, end: datetime) -> Select:
    """Per team of the scope (``teams_in_scope``): the activities it ran in the period
    (held, in the scope: a centre's team counts only its activities of the scope here),
    the distinct volunteers and the check-ins they had, confirmed and pending minutes;
    teams of the scope's units that ran nothing show zeros. Most confirmed hours first,
    then by name.

    One statement, whatever the data size: teams outer-joined to their held activities and
    those to their check-ins, grouped by team.
    """
    held = and_(Activity.team_id == Team.id, *held_in_period(scope_ids, start, end))
    confirmed = sum_if(CheckIn.status == HoursStatus.CONFIRMED, CheckIn.minutes)
    return (
        select(
            Team.id,
            Team.name.label("team_name"),
            Unit.name.label("unit_name"),
            func.count(distinct(Activity.id)).label("activities"),
            func.count(distinct(CheckIn.volunteer_id)).label("volunteers"),
            func.count(CheckIn.id).label("checkins"),
            confirmed.label("confirmed"),
            sum_if(CheckIn.status == HoursStatus.PENDING, CheckIn.minutes).label("pending"),
        )
        .select_from(Team)
        .join(Unit, Unit.id == Team.unit_id)
        .outerjoin(Activity, held)
        .outerjoin(CheckIn, CheckIn.activity_id == Activity.id)
        .where(teams_in_scope(scope_ids, start, end))
        .group_by(Team.id, Team.name, Unit.name)
        .order_by(confirmed.desc(), Team.name, Team.id)
    )
