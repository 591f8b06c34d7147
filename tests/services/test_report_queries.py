"""Dashboard figures equal the sums counted by hand on tests/report_fixture.py."""

from datetime import date

import pytest
from sqlalchemy import event
from werkzeug.exceptions import NotFound

from volunteer_app.auth import scoping
from volunteer_app.checkins.models import CheckIn
from volunteer_app.reports import dashboard, sql
from volunteer_app.reports.periods import day_period, leifeng_period, month_period

from ..report_fixture import CONF, ORG, SHANGHAI, build


@pytest.fixture
def world(make, db):
    return build(make, db)


def board(user, unit, period, today=None):
    """A dashboard computed as a page view does: in a transaction of its own, ended after.

    (Kept volunteer sets are written on a connection of their own; on SQLite a reading
    transaction older than that write could not write afterwards.)
    """
    from volunteer_app.extensions import db

    db.session.commit()
    unit = scoping.unit_or_404(user, unit.id if unit else None)
    start, end = period.bounds(SHANGHAI)
    result = dashboard.dashboard(
        unit, scoping.scope_unit_ids(user, unit), period, start, end, 480, today=today
    )
    db.session.commit()
    return result


MARCH = month_period(2025, 3)


def test_district_month(world):
    b = board(world.admin, world.district, MARCH)
    assert (b.activities, b.cancelled) == (4, 1)  # A1 A2 A4 A6; A3 cancelled
    assert b.totals.checkins == 7
    assert b.totals.open_checkins == 1  # V3 never checked out
    assert b.totals.confirmed_minutes == 180 + 120 + 90 + 240 + 60
    assert b.totals.pending_minutes == 120
    assert (b.totals.scan_minutes, b.totals.organizer_minutes) == (690, 120)
    assert (b.volunteers, b.new_volunteers) == (5, 3)  # V1 counted once; V3 V4 V5 new
    cats = {c.code: c for c in b.categories}
    assert cats["health"].activities == 3 and cats["cleanup"].activities == 1
    assert (cats["health"].sums.checkins, cats["health"].sums.confirmed_minutes) == (5, 480)
    assert cats["health"].sums.pending_minutes == 120
    assert (cats["cleanup"].sums.checkins, cats["cleanup"].sums.confirmed_minutes) == (2, 210)
    ranked = [(s.name, s.sums.confirmed_minutes, s.volunteers, s.activities) for s in b.stations]
    assert ranked == [
        ("吕陵村", 240, 1, 1),
        ("新华社区", 210, 2, 1),
        ("万福社区", 180, 3, 1),
        ("万福街道", 60, 1, 1),
    ]
    children = [
        (c.name, c.activities, c.sums.checkins, c.sums.confirmed_minutes) for c in b.children
    ]
    assert children == [("万福街道", 3, 6, 450), ("吕陵镇", 1, 1, 240)]
    trend = {key: (s.checkins, s.confirmed_minutes, s.pending_minutes) for key, s in b.trend}
    assert len(trend) == 31
    # A1 starts at 23:30 UTC on 4 March, which is 5 March in Beijing.
    assert trend["2025-03-04"] == (0, 0, 0)
    assert trend["2025-03-05"] == (5, 390, 120)
    assert trend["2025-03-06"] == (1, 240, 0)
    assert trend["2025-03-20"] == (1, 60, 0)
    assert trend["2025-03-10"] == (0, 0, 0)  # the cancelled activity


def test_centre_month(world):
    b = board(world.centre_user, None, MARCH)
    assert (b.activities, b.cancelled, b.totals.checkins) == (3, 1, 6)
    assert (b.totals.confirmed_minutes, b.totals.pending_minutes) == (450, 120)
    assert (b.volunteers, b.new_volunteers) == (4, 2)
    assert "吕陵村" not in [s.name for s in b.stations]
    children = [
        (c.name, c.activities, c.sums.checkins, c.sums.confirmed_minutes, c.volunteers)
        for c in b.children
    ]
    # The centre's own activity first, then its stations by name.
    assert children == [
        ("万福街道", 1, 1, 60, 1),
        ("万福社区", 1, 3, 180, 3),
        ("新华社区", 1, 2, 210, 2),
    ]


def test_station_month_and_other_periods(world):
    b = board(world.s1_user, None, MARCH)
    assert (b.activities, b.cancelled, b.totals.checkins, b.totals.open_checkins) == (1, 1, 3, 1)
    assert (b.totals.confirmed_minutes, b.totals.pending_minutes) == (180, 120)
    assert (b.volunteers, b.new_volunteers) == (3, 1)
    assert b.children == [] and [s.name for s in b.stations] == ["万福社区"]

    day = board(world.admin, world.district, day_period(date(2025, 3, 5)))
    assert (day.activities, day.totals.checkins, day.totals.confirmed_minutes) == (2, 5, 390)
    hours = {key: s.checkins for key, s in day.trend}
    assert hours["07"] == 3 and hours["14"] == 2 and len(hours) == 24
    assert board(world.admin, None, leifeng_period(2025)).totals.checkins == 5
    april = board(world.s1_user, None, month_period(2025, 4))
    assert (april.activities, april.totals.confirmed_minutes) == (1, 60)
    empty = board(world.s1_user, None, month_period(2025, 2))
    assert (empty.activities, empty.totals.checkins, empty.volunteers) == (0, 0, 0)


def test_scoping_other_units_are_404(world):
    for user, unit in [
        (world.s1_user, world.s2),
        (world.s1_user, world.c1),
        (world.s1_user, world.district),
        (world.centre_user, world.s3),
        (world.centre_user, world.c2),
    ]:
        with pytest.raises(NotFound):
            scoping.unit_or_404(user, unit.id)
    assert scoping.unit_or_404(world.centre_user, world.s2.id) == world.s2


def test_dashboard_statement_count_does_not_grow(world, db, make):
    """No N+1: the same number of statements with one or many activities and volunteers."""

    def count_statements():
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            board(world.admin, world.district, MARCH)
            dashboard.latest_activities(
                scoping.scope_unit_ids(world.admin, world.district), *MARCH.bounds(SHANGHAI)
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    count_statements()  # fills the kept volunteer set of March (see volunteer_sets)
    before = count_statements()
    for i in range(5):
        make.activity(world.s2, title=f"加场{i}", starts_at=world.acts["A2"].starts_at)
    db.session.commit()
    assert count_statements() == before


def stats_match_checkins(db) -> list[tuple]:
    """activity_stats rows, and the same sums computed from checkins directly."""
    from sqlalchemy import select

    from volunteer_app.reports.models import ActivityStats

    kept: dict[int, list[int]] = {}  # an activity's shard rows, added up
    for s in db.session.scalars(select(ActivityStats)):
        sums = kept.setdefault(s.activity_id, [0] * 6)
        for i, value in enumerate(
            (
                s.checkins,
                s.confirmed_minutes,
                s.pending_minutes,
                s.scan_minutes,
                s.organizer_minutes,
                s.open_checkins,
            )
        ):
            sums[i] += value
    kept = sorted((activity_id, *sums) for activity_id, sums in kept.items() if sums[0])
    direct = sorted(
        tuple(row)
        for row in db.session.execute(
            select(CheckIn.activity_id, *sql.sums_columns()).group_by(CheckIn.activity_id)
        )
    )
    assert kept == direct
    return kept


def test_activity_stats_follow_every_write(world, db, make):
    """Triggers keep activity_stats equal to the check-ins, whatever writes them."""
    from datetime import timedelta

    from sqlalchemy import delete, update

    from volunteer_app.checkins import services

    assert len(stats_match_checkins(db)) == 6  # filled on insert, per activity
    a4 = world.acts["A4"]
    someone = make.volunteer("新来的")
    # the real services: check in (pending, open), then out (minutes credited)
    services.check_in(a4, someone, now=a4.starts_at)
    db.session.commit()
    stats_match_checkins(db)
    services.check_out(a4, someone, now=a4.starts_at + timedelta(minutes=95))
    db.session.commit()
    kept = dict((row[0], row[1:]) for row in stats_match_checkins(db))
    assert kept[a4.id] == (2, 240, 90, 330, 0, 0)
    # an organizer confirms, changes origin, moves a record to another activity, deletes one
    db.session.execute(
        update(CheckIn).where(CheckIn.activity_id == a4.id).values(status=CONF, origin=ORG)
    )
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.volunteer_id == world.vols["V3"].id)
        .values(activity_id=world.acts["A5"].id)
    )
    db.session.execute(delete(CheckIn).where(CheckIn.volunteer_id == world.vols["V4"].id))
    db.session.commit()
    stats_match_checkins(db)
    b = board(world.admin, world.district, MARCH)
    assert (b.totals.checkins, b.totals.open_checkins) == (7 - 1 - 1 + 1, 0)
