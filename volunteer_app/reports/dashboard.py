"""The dashboard's queries: SQL aggregation over a unit's scope and a period.

Rules that keep them fast at a million check-ins (see docs/benchmarks.md):
- the database sums and counts; Python only folds the few hundred aggregated groups
  (units × categories × trend buckets) into tables, never the check-in rows;
- a dashboard is a fixed number of statements whatever the data size (no N+1);
- an activity counts in a period when it *starts* in it; check-ins and hours of
  cancelled activities are left out of every figure (cancelled activities are counted
  apart);
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    distinct,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Row

from volunteer_app.activities.models import Activity, ActivityStatus, Category
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.localtime import local_zone, utc_to_local
from volunteer_app.reports import volunteer_sets
from volunteer_app.reports.hours import Sums, UnitRow, fill_trend, rank_units, roll_up
from volunteer_app.reports.models import ActivityStats
from volunteer_app.reports.periods import Period
from volunteer_app.reports.sql import (
    UnitIds,
    held_in_period,
    in_period,
    sums_columns,
    team_figures,
    teams_in_scope,
)
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team

#: How many activities the dashboard lists; the export has them all.
ACTIVITY_LIST_LIMIT = 20
#: How many volunteer teams the dashboard's "by team" table lists; the export has them all.
TEAM_LIST_LIMIT = 20


def _bucket(bucket: str, offset_minutes: int):
    """SQL for the local hour / day / month an activity starts in, as text ("08", "2025-03-05")."""
    offset = int(offset_minutes)
    if db.engine.dialect.name == "postgresql":
        fmt = {"hour": "HH24", "day": "YYYY-MM-DD", "month": "YYYY-MM"}[bucket]
        shifted = Activity.starts_at.op("+")(literal_column(f"interval '{offset} minutes'"))
        return func.to_char(shifted, literal_column(f"'{fmt}'"))
    fmt = {"hour": "%H", "day": "%Y-%m-%d", "month": "%Y-%m"}[bucket]
    return func.strftime(literal_column(f"'{fmt}'"), Activity.starts_at, f"{offset:+d} minutes")


_STATS_COLUMNS = (
    ActivityStats.checkins,
    ActivityStats.confirmed_minutes,
    ActivityStats.pending_minutes,
    ActivityStats.scan_minutes,
    ActivityStats.organizer_minutes,
    ActivityStats.open_checkins,
)


# --- dashboard ---------------------------------------------------------------------------


@dataclass
class CategoryRow:
    """A category's line: activities held and the check-ins and hours they brought."""

    category_id: int
    code: str
    name_zh: str
    name_en: str
    activities: int = 0
    sums: Sums = field(default_factory=Sums)


@dataclass
class Dashboard:
    """Everything one dashboard shows."""

    totals: Sums
    activities: int  #: held (not cancelled)
    cancelled: int
    volunteers: int  #: distinct volunteers who checked in
    new_volunteers: int  #: of those, registered during the period
    categories: list[CategoryRow]
    #: stations (and centres holding activities), ranked; volunteers counted for the first ones
    stations: list[UnitRow]
    children: list[UnitRow]  #: drill-down lines: the scope's direct children
    trend: list[tuple[str, Sums]]


def dashboard(
    scope_unit: Unit,
    scope_ids: UnitIds,
    period: Period,
    start: datetime,
    end: datetime,
    offset: int,
    ranked_limit: int = 20,
    today: date | None = None,
) -> Dashboard:
    """Compute a dashboard in a fixed number of statements, whatever the number of check-ins
    (eight, plus a few per month or year whose volunteer set must first be kept).

    ``offset`` is the local zone's UTC offset in minutes, used to bucket the trend;
    distinct volunteers are counted for the first ``ranked_limit`` ranked units.
    ``today`` (local; default: now) decides which months and years have ended, whose
    sets of volunteers are kept (volunteer_sets.py).
    """
    bucket = _bucket(period.bucket, offset)
    # Per-activity sums come from activity_stats (kept by triggers), added up by the
    # database twice over the same rows: per unit and category (the rankings, the
    # categories and the totals fold these few thousand groups) and per trend bucket.
    # Grouping by all three at once would hand Python nearly one row per activity.
    per_activity = (
        select(
            Activity.unit_id,
            Activity.category_id,
            bucket.label("bucket"),
            *_STATS_COLUMNS,
        )
        .join(ActivityStats, ActivityStats.activity_id == Activity.id)
        .where(*held_in_period(scope_ids, start, end))
        .cte("per_activity")
    )
    rows = per_activity.c
    sums = [func.sum(rows[column.key]) for column in _STATS_COLUMNS]
    groups = db.session.execute(
        union_all(
            select(rows.unit_id, rows.category_id, null().label("bucket"), *sums).group_by(
                rows.unit_id, rows.category_id
            ),
            select(null(), null(), rows.bucket, *sums).group_by(rows.bucket),
        )
    ).all()
    activity_counts = db.session.execute(
        select(Activity.unit_id, Activity.category_id, Activity.status, func.count())
        .where(*in_period(scope_ids, start, end))
        .group_by(Activity.unit_id, Activity.category_id, Activity.status)
    ).all()
    zone = local_zone()
    if today is None:
        today = utc_to_local(utcnow()).date()
    served = volunteer_sets.served(scope_unit.id, scope_ids, period, zone, today)
    new_volunteers = volunteer_sets.count_registered(served, start, end)
    units = {
        row.id: (row.name, row.level.value, row.parent_id)
        for row in db.session.execute(
            select(Unit.id, Unit.name, Unit.level, Unit.parent_id).where(Unit.id.in_(scope_ids))
        )
    }
    categories = {
        c.id: CategoryRow(c.id, c.code, c.name_zh, c.name_en)
        for c in db.session.scalars(select(Category).order_by(Category.sort_order, Category.id))
    }

    # Fold the aggregated groups into the tables, with plain lists: a district's year
    # is a few thousand (unit, category) groups.
    totals = [0] * 6
    unit_acc: dict[int, list[int]] = {}
    bucket_acc: dict[str, list[int]] = {}
    category_acc: dict[int, list[int]] = {}
    for unit_id, category_id, key, *values in groups:
        if key is not None:
            bucket_acc[key] = values
            continue
        for acc in (
            totals,
            unit_acc.setdefault(unit_id, [0] * 6),
            category_acc.setdefault(category_id, [0] * 6),
        ):
            for i, value in enumerate(values):
                acc[i] += value
    by_unit = {k: Sums(*map(int, v)) for k, v in unit_acc.items()}
    by_bucket = {k: Sums(*map(int, v)) for k, v in bucket_acc.items()}
    for category_id, values in category_acc.items():
        categories[category_id].sums = Sums(*map(int, values))
    totals = Sums(*map(int, totals))
    held = cancelled = 0
    unit_activities: dict[int, int] = {}
    for unit_id, category_id, status, count in activity_counts:
        if status == ActivityStatus.CANCELLED:
            cancelled += count
            continue
        held += count
        unit_activities[unit_id] = unit_activities.get(unit_id, 0) + count
        categories[category_id].activities += count

    ranked = []
    for unit_id in set(by_unit) | set(unit_activities):
        name, level, parent = units[unit_id]
        if level == "district":
            continue
        ranked.append(
            UnitRow(
                unit_id,
                name,
                level,
                parent_name=units.get(parent, ("",))[0] if parent else "",
                activities=unit_activities.get(unit_id, 0),
                sums=by_unit.get(unit_id, Sums()),
            )
        )
    ranked = rank_units(ranked)
    per_unit = {
        uid: (unit_activities.get(uid, 0), by_unit.get(uid, Sums()))
        for uid in set(by_unit) | set(unit_activities)
    }
    children = roll_up(scope_unit.id, units, per_unit)

    # Distinct volunteers per unit do not add up, and counting them for 200 stations
    # costs a full pass: count them only for the lines the page shows.
    shown = ranked[:ranked_limit] + [
        line for line in children if line.unit_id == scope_unit.id or line.level == "station"
    ]
    if shown:
        counted = dict(
            db.session.execute(
                select(Activity.unit_id, func.count(distinct(CheckIn.volunteer_id)))
                .select_from(Activity)
                .join(CheckIn, CheckIn.activity_id == Activity.id)
                .where(*held_in_period(scope_ids, start, end))
                .where(Activity.unit_id.in_({line.unit_id for line in shown}))
                .group_by(Activity.unit_id)
            ).all()
        )
        for line in shown:
            line.volunteers = counted.get(line.unit_id, 0)
    return Dashboard(
        totals=totals,
        activities=held,
        cancelled=cancelled,
        volunteers=served.bit_count(),
        new_volunteers=new_volunteers,
        categories=list(categories.values()),
        stations=ranked,
        children=children,
        trend=fill_trend(period, by_bucket),
    )


def latest_activities(
    scope_ids: UnitIds, start: datetime, end: datetime, limit: int = ACTIVITY_LIST_LIMIT
) -> tuple[list[Row], int]:
    """The latest activities of the period with their attendance figures, and how many there are."""
    page = (
        select(Activity.id)
        .where(*in_period(scope_ids, start, end))
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Activity.id,
            Activity.title,
            Activity.starts_at,
            Activity.ends_at,
            Activity.status,
            Unit.name.label("unit_name"),
            *sums_columns(),
        )
        .join(page, page.c.id == Activity.id)
        .join(Unit, Unit.id == Activity.unit_id)
        .outerjoin(CheckIn, CheckIn.activity_id == Activity.id)
        .group_by(
            Activity.id,
            Activity.title,
            Activity.starts_at,
            Activity.ends_at,
            Activity.status,
            Unit.name,
        )
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
    ).all()
    total = db.session.scalar(
        select(func.count()).select_from(Activity).where(*in_period(scope_ids, start, end))
    )
    return rows, total


def team_lines(
    scope_ids: UnitIds, start: datetime, end: datetime, limit: int = TEAM_LIST_LIMIT
) -> tuple[list[Row], int]:
    """The first ``limit`` volunteer teams of the scope (``sql.teams_in_scope``) by
    confirmed hours in the period, with their figures (``sql.team_figures``), and how many
    teams the scope has."""
    rows = db.session.execute(team_figures(scope_ids, start, end).limit(limit)).all()
    total = len(rows)
    if total == limit:
        total = db.session.scalar(
            select(func.count()).select_from(Team).where(teams_in_scope(scope_ids, start, end))
        )
    return rows, total


# --- exports (streamed) ------------------------------------------------------------------
