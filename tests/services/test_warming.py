"""Warming kept volunteer sets (reports/warming.py): districts' and centres' years and months
are filled ahead of the first view, only what is missing or invalid, within a time limit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.report_fixture import SHANGHAI, build, local
from tests.services.test_report_queries import board
from tests.services.test_volunteer_sets import MARCH, TODAY, YEAR, figures, served_directly
from volunteer_app.checkins import services
from volunteer_app.reports import volunteer_sets
from volunteer_app.reports.models import VolunteerSet
from volunteer_app.reports.volunteer_sets import Segment, unpack
from volunteer_app.reports.warming import warm, warm_segments

#: On TODAY (2026-11-26): years 2025, 2024, 2023; months 2026-01…10 and 2025-01…12.
PER_UNIT = 3 + 10 + 12


@pytest.fixture
def world(make, db):
    return build(make, db)


def kept(db) -> list[VolunteerSet]:
    db.session.commit()  # a fresh snapshot: the sets were written on connections of their own
    return list(db.session.scalars(select(VolunteerSet)))


def warmed(db, **options) -> int:
    """``warm`` as the task runs it: its session settled at the end."""
    filled = warm(TODAY, SHANGHAI, **options)
    db.session.commit()
    return filled


def test_the_segments_are_whole_ended_years_and_this_and_last_years_ended_months():
    whole_years, months = warm_segments(TODAY)
    assert whole_years == [Segment(date(y, 1, 1), date(y, 12, 31)) for y in (2025, 2024, 2023)]
    assert months[0] == Segment(date(2026, 1, 1), date(2026, 1, 31))
    assert months[9] == Segment(date(2026, 10, 1), date(2026, 10, 31))  # November has not ended
    assert months[10:] == [Segment(date(2025, m, 1), months[10 + m - 1].last) for m in range(1, 13)]
    assert len(months) == 22
    # on New Year's Day December has ended; no month of the new year has
    whole_years, months = warm_segments(date(2027, 1, 1), years=1)
    assert whole_years == [Segment(date(2026, 1, 1), date(2026, 12, 31))]
    assert len(months) == 12 and months[-1] == Segment(date(2026, 12, 1), date(2026, 12, 31))


def test_warmed_sets_are_read_by_the_dashboard_without_a_fill(world, db, monkeypatch):
    units = {world.district.id, world.c1.id, world.c2.id}
    assert warmed(db) == len(units) * PER_UNIT
    rows = kept(db)
    assert len(rows) == len(units) * PER_UNIT
    assert {row.unit_id for row in rows} == units  # stations are not warmed
    assert all(row.filled_version == row.version for row in rows)

    def no_fill(*args, **kwargs):
        raise AssertionError("a warmed period was filled again")

    monkeypatch.setattr(volunteer_sets, "fill", no_fill)
    assert figures(world, YEAR) == (5, 3) == (served_directly(db, YEAR), 3)
    assert figures(world) == (5, 3) == (served_directly(db, MARCH), 3)
    assert board(world.centre_user, None, MARCH, today=TODAY).volunteers == 4
    start, end = YEAR.bounds(SHANGHAI)
    (year,) = [
        r
        for r in rows
        if r.unit_id == world.district.id and (r.starts_at, r.ends_at) == (start, end)
    ]
    assert unpack(year.volunteer_ids) == {v.id for v in world.vols.values()}
    assert warmed(db) == 0  # nothing missing, nothing invalid


def test_a_change_in_a_warmed_year_is_refilled_alone(world, db, make):
    warmed(db)
    late = make.volunteer("迟到的", "13700000009")
    late.created_at = local(1, 10)
    a4 = world.acts["A4"]  # 吕陵义诊 at 吕陵村, under 吕陵镇 (c2), March 2025
    services.check_in(a4, late, now=a4.starts_at)
    db.session.commit()
    invalid = {(r.unit_id, r.starts_at) for r in kept(db) if r.filled_version != r.version}
    year_start, march_start = YEAR.bounds(SHANGHAI)[0], MARCH.bounds(SHANGHAI)[0]
    # the triggers bump every unit's sets that hold the activity's start (migrations/triggers.py)
    assert invalid == {
        (unit.id, start)
        for unit in (world.district, world.c1, world.c2)
        for start in (year_start, march_start)
    }
    assert warmed(db) == 6  # those six, nothing else
    assert all(r.filled_version == r.version for r in kept(db))
    assert figures(world, YEAR) == (6, 4) == (served_directly(db, YEAR), 4)  # registered in 2025
    assert warmed(db) == 0


def test_archived_units_and_stations_are_not_warmed(world, db):
    world.c2.archived_at = local(6, 1)
    db.session.commit()
    assert warmed(db) == 2 * PER_UNIT
    assert {row.unit_id for row in kept(db)} == {world.district.id, world.c1.id}


def test_a_run_stops_when_its_time_is_up_and_the_next_carries_on(world, db):
    assert warmed(db, limit_seconds=0) == 0
    assert kept(db) == []
    ticks = iter(range(1000))  # a clock that moves one second each time it is read
    assert warmed(db, limit_seconds=5, clock=lambda: next(ticks)) == 4
    first = kept(db)
    assert len(first) == 4
    # years first, districts first: the district's three years, then 万福街道's last year
    assert [row.unit_id for row in first].count(world.district.id) == 3
    assert warmed(db) == 3 * PER_UNIT - 4
