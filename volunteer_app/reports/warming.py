"""Keep the volunteer sets of districts and centres filled before anyone asks for them.

A kept set (reports/volunteer_sets.py) is filled the first time a dashboard needs it: for a
city district's three years that first view reads about a million check-ins (~5 s on the
city benchmark), the later ones read the kept sets (~0.3 s). The consumer's periodic task
``warm-report-sets`` (at the end; listed with the others in jobs/periodic.py) calls ``warm``
so that the first view is usually a later one: for every live district and centre it fills
the sets of the last whole years and of the ended months of this year and the last, those
that are missing or were invalidated by a change (``filled_version != version``).

A run stops once its time is up; what it left is exactly the sets still missing or invalid,
so the next run carries on from there. Stations are not warmed: their few check-ins are
quick to count when a station's dashboard first needs them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from huey import crontab
from sqlalchemy import Connection, case, select

from volunteer_app.auth.scoping import subtree_unit_ids
from volunteer_app.database import utcnow
from volunteer_app.jobs.queue import huey, task_context
from volunteer_app.localtime import local_zone, utc_to_local
from volunteer_app.reports.models import VolunteerSet
from volunteer_app.reports.volunteer_sets import Segment, fill, month_last
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.transactions import side_transaction, task_transaction

log = logging.getLogger(__name__)

Key = tuple[datetime, datetime]

#: Longest a run of ``warm-report-sets`` goes on filling sets; the next run (10 minutes
#: later) takes up what is left, so one run never holds the worker for long.
WARM_LIMIT_SECONDS = 120.0


def warm_segments(today: date, years: int = 3) -> tuple[list[Segment], list[Segment]]:
    """(years, months) to keep warm on ``today``: the last ``years`` whole ended years, and
    the ended months of this year and the last (all of them ended before ``today``)."""
    whole_years = [
        Segment(date(year, 1, 1), date(year, 12, 31))
        for year in range(today.year - 1, today.year - 1 - years, -1)
    ]
    months = []
    for year in (today.year, today.year - 1):
        for month in range(1, 13):
            first = date(year, month, 1)
            if month_last(first) < today:
                months.append(Segment(first, month_last(first)))
    return whole_years, months


def warm(
    today: date,
    zone: ZoneInfo,
    *,
    years: int = 3,
    limit_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Fill the missing or invalid kept sets of live districts and centres; how many were
    filled (computed; one raced by a change is counted but left for the next run).

    Years before months, districts before centres: a district's years are the dearest first
    view. Past ``limit_seconds`` (checked before each set) it returns, whatever is left.
    """
    deadline = None if limit_seconds is None else clock() + limit_seconds
    whole_years, months = warm_segments(today, years)
    groups = [[s.bounds(zone) for s in whole_years], [s.bounds(zone) for s in months]]
    # Read on connections of their own, each statement fresh: a run may last minutes, and
    # the task's session holds no snapshot meanwhile (on SQLite it would pin the WAL and
    # show a unit tree as it was when the run began).
    with side_transaction() as connection:
        unit_ids = list(
            connection.scalars(
                select(Unit.id)
                .where(
                    Unit.level.in_((UnitLevel.DISTRICT, UnitLevel.CENTRE)),
                    Unit.archived_at.is_(None),
                )
                .order_by(case((Unit.level == UnitLevel.DISTRICT, 0), else_=1), Unit.id)
            )
        )
        valid = _valid_keys(connection, unit_ids, {start for keys in groups for start, _ in keys})
    filled = 0
    for keys in groups:
        for unit_id in unit_ids:
            for key in keys:
                if (unit_id, key) in valid:
                    continue
                if deadline is not None and clock() >= deadline:
                    return filled
                fill(unit_id, _subtree(unit_id), [key])
                filled += 1
    return filled


def _subtree(unit_id: int) -> list[int]:
    """The ids of the unit's subtree as they are now, listed (PostgreSQL plans a listed set
    better than the subquery, see ``scoping.scope_unit_id_list``)."""
    with side_transaction() as connection:
        return sorted(connection.scalars(subtree_unit_ids(Unit(id=unit_id))))


def _valid_keys(
    connection: Connection, unit_ids: list[int], starts: set[datetime]
) -> set[tuple[int, Key]]:
    """(unit, bounds) of the kept sets of ``unit_ids`` that are filled and still valid."""
    if not unit_ids:
        return set()
    rows = connection.execute(
        select(VolunteerSet.unit_id, VolunteerSet.starts_at, VolunteerSet.ends_at).where(
            VolunteerSet.unit_id.in_(unit_ids),
            VolunteerSet.starts_at.in_(starts),
            VolunteerSet.filled_version == VolunteerSet.version,
        )
    )
    return {(unit_id, (start, end)) for unit_id, start, end in rows}


# --- the periodic task -----------------------------------------------------------------


def warm_report_sets(limit_seconds: float | None = WARM_LIMIT_SECONDS) -> int:
    """``warm`` for today, as the periodic task runs it; the number of sets filled."""
    with task_context(), task_transaction():
        filled = warm(utc_to_local(utcnow()).date(), local_zone(), limit_seconds=limit_seconds)
    if filled:
        log.info("filled %d kept volunteer sets", filled)
    return filled


@huey.periodic_task(crontab(minute="*/10"), name="warm-report-sets")
@huey.lock_task("warm-report-sets")
def warm_report_sets_task() -> None:
    """The periodic run of ``warm_report_sets``."""
    warm_report_sets()
