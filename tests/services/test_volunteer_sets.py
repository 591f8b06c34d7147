"""Kept volunteer sets (reports/volunteer_sets.py): how a period is cut, the stored form, and
that the distinct-volunteer figures stay right when what they were kept from changes."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from tests.report_fixture import CONF, SCAN, SHANGHAI, build, local
from tests.services.test_report_queries import board
from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.checkins import services
from volunteer_app.checkins.models import CheckIn
from volunteer_app.reports.models import VolunteerSet
from volunteer_app.reports.periods import month_period, year_period
from volunteer_app.reports.volunteer_sets import Segment, pack, split, unpack

TODAY = date(2026, 11, 26)


def test_split_takes_whole_ended_years_and_months_and_counts_the_rest():
    kept, direct = split(date(2023, 3, 15), TODAY, TODAY)
    assert direct == [
        Segment(date(2023, 3, 15), date(2023, 3, 31)),
        Segment(date(2026, 11, 1), TODAY),
    ]
    assert kept[:2] == [
        Segment(date(2023, 4, 1), date(2023, 4, 30)),
        Segment(date(2023, 5, 1), date(2023, 5, 31)),
    ]
    assert Segment(date(2024, 1, 1), date(2024, 12, 31)) in kept
    assert Segment(date(2025, 1, 1), date(2025, 12, 31)) in kept
    assert kept[-1] == Segment(date(2026, 10, 1), date(2026, 10, 31))
    assert len(kept) == 9 + 2 + 10


def test_split_keeps_nothing_that_has_not_ended():
    assert split(date(2026, 11, 1), date(2026, 11, 30), TODAY) == (
        [],
        [Segment(date(2026, 11, 1), date(2026, 11, 30))],
    )
    # a month that ended yesterday is kept; a day inside a month is not
    assert split(date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 1)) == (
        [Segment(date(2026, 10, 1), date(2026, 10, 31))],
        [],
    )
    assert split(date(2025, 3, 5), date(2025, 3, 5), TODAY) == (
        [],
        [Segment(date(2025, 3, 5), date(2025, 3, 5))],
    )


def test_split_covers_every_day_once():
    first, last = date(2023, 1, 17), date(2026, 2, 3)
    kept, direct = split(first, last, TODAY)
    days = []
    for segment in kept + direct:
        day = segment.first
        while day <= segment.last:
            days.append(day)
            day += timedelta(days=1)
    assert sorted(days) == [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize("ids", [set(), {1}, {5, 3, 2**31 - 1, 70000}, set(range(1, 50000, 3))])
def test_pack_round_trip(ids):
    assert unpack(pack(ids)) == ids


def test_dense_sets_are_small():
    assert len(pack(range(1, 50001))) < 1000


# --- figures through the dashboard, cold and warm, and after changes ----------------------


@pytest.fixture
def world(make, db):
    return build(make, db)


MARCH, YEAR = month_period(2025, 3), year_period(2025)


def served_directly(db, period) -> int:
    """The distinct-volunteer count without any kept set (the definition)."""
    start, end = period.bounds(SHANGHAI)
    return db.session.scalar(
        select(func.count(func.distinct(CheckIn.volunteer_id)))
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(
            Activity.status != ActivityStatus.CANCELLED,
            Activity.starts_at >= start,
            Activity.starts_at < end,
        )
    )


def figures(world, period=MARCH):
    b = board(world.admin, world.district, period, today=TODAY)
    return b.volunteers, b.new_volunteers


def kept_rows(db) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(VolunteerSet.unit_id, VolunteerSet.version, VolunteerSet.filled_version)
    ).all()


def test_a_kept_set_is_filled_once_then_read(world, db):
    assert kept_rows(db) == []
    assert figures(world) == (5, 3)
    rows = kept_rows(db)
    assert rows == [(world.district.id, 0, 0)]
    assert figures(world) == (5, 3)  # read back
    assert kept_rows(db) == rows
    # the year: January and February are empty, March, April ... December kept as one year
    assert figures(world, YEAR) == (5, 3) == (served_directly(db, YEAR), 3)
    assert len(kept_rows(db)) == 2


def test_a_station_and_a_centre_keep_their_own_sets(world, db):
    s1 = board(world.s1_user, None, MARCH, today=TODAY)
    c1 = board(world.centre_user, None, MARCH, today=TODAY)
    assert (s1.volunteers, c1.volunteers) == (3, 4)  # S1: V1 V2 V3; C1 adds V4 (A2), V2 (A6)
    assert {row[0] for row in kept_rows(db)} == {world.s1.id, world.c1.id}
    assert board(world.s1_user, None, MARCH, today=TODAY).volunteers == 3


def test_changes_after_keeping_are_counted(world, db, make):
    """Every kind of change that could alter a kept set makes the next view count again."""
    assert figures(world) == (5, 3)
    # a late check-in through the service (an organizer adding someone afterwards)
    late = make.volunteer("迟到的", "13700000009")
    late.created_at = local(1, 10)
    services.check_in(world.acts["A4"], late, now=world.acts["A4"].starts_at)
    db.session.commit()
    assert figures(world) == (6, 3) == (served_directly(db, MARCH), 3)
    # a check-in deleted
    db.session.execute(delete(CheckIn).where(CheckIn.volunteer_id == late.id))
    db.session.commit()
    assert figures(world) == (5, 3)
    # a check-in moved to an activity of April (V4 served only at A2)
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.volunteer_id == world.vols["V4"].id)
        .values(activity_id=world.acts["A5"].id)
    )
    db.session.commit()
    assert figures(world) == (4, 2)
    # a check-in given to another volunteer (records merged)
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.volunteer_id == world.vols["V5"].id)
        .values(volunteer_id=world.vols["V1"].id)
    )
    db.session.commit()
    assert figures(world) == (3, 1)
    # the cancelled activity un-cancelled brings nobody new (V2 is counted already) ...
    world.acts["A3"].status = ActivityStatus.FINISHED
    db.session.commit()
    assert figures(world) == (3, 1) == (served_directly(db, MARCH), 1)
    # ... activities cancelled take their volunteers away (A1; A3 again): V1 (A2, A4), V2 (A6)
    world.acts["A1"].status = ActivityStatus.CANCELLED
    world.acts["A3"].status = ActivityStatus.CANCELLED
    db.session.commit()
    assert figures(world) == (2, 0) == (served_directly(db, MARCH), 0)
    # an activity moved into April takes V2 out of March and into April's kept set
    april = month_period(2025, 4)
    assert figures(world, april)[0] == 2  # V1 (A5), V4 (moved to A5)
    world.acts["A6"].starts_at, world.acts["A6"].ends_at = local(4, 20), local(4, 20, 11)
    db.session.commit()
    assert figures(world) == (1, 0)
    assert figures(world, april)[0] == 3 == served_directly(db, april)
    # an activity deleted
    db.session.execute(delete(CheckIn).where(CheckIn.activity_id == world.acts["A2"].id))
    db.session.delete(world.acts["A2"])
    db.session.commit()
    assert figures(world) == (1, 0)  # V1 still at A4
    db.session.execute(delete(CheckIn).where(CheckIn.activity_id == world.acts["A4"].id))
    db.session.delete(world.acts["A4"])
    db.session.commit()
    assert figures(world) == (0, 0) == (served_directly(db, MARCH), 0)


def test_a_station_moved_to_another_centre_changes_the_centres_sets(world, db):
    c1_before = board(world.centre_user, None, MARCH, today=TODAY).volunteers
    assert c1_before == 4
    world.s2.parent_id = world.c2.id  # 新华社区 moves to 吕陵镇: V4 leaves 万福街道's figures
    db.session.commit()
    assert board(world.centre_user, None, MARCH, today=TODAY).volunteers == 3


def test_statuses_that_do_not_move_check_ins_keep_the_set(world, db):
    figures(world)
    version = kept_rows(db)[0][1]
    world.acts["A4"].status = ActivityStatus.PUBLISHED  # reopened, not cancelled
    world.acts["A4"].title = "改了标题"
    db.session.execute(update(CheckIn).values(status=CONF, origin=SCAN))  # confirming hours
    db.session.commit()
    assert kept_rows(db)[0][1] == version


def test_check_ins_of_today_touch_no_kept_set(world, db, make):
    figures(world)
    version = kept_rows(db)[0][1]
    today_activity = make.activity(world.s1)
    db.session.commit()
    services.check_in(today_activity, make.volunteer(), now=today_activity.starts_at)
    db.session.commit()
    assert kept_rows(db)[0][1] == version


@pytest.mark.postgresql_only
def test_a_write_in_flight_during_filling_is_not_kept_stale(app, world, db, make):
    """PostgreSQL: a check-in into March not yet committed while March's set is filled
    (its trigger ran before the set's row existed) must not leave a set without it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite has one writer at a time: a write in flight ends before the set row exists"
        )
    late = make.volunteer("迟到的", "13700000009")
    db.session.commit()
    with db.engine.connect() as writer:
        writer.begin()
        writer.execute(
            insert(CheckIn).values(
                activity_id=world.acts["A4"].id,
                volunteer_id=late.id,
                checked_in_at=world.acts["A4"].starts_at,
                minutes=0,
                origin=SCAN,
                status=CONF,
            )
        )
        result = {}

        def view():
            with app.app_context():
                result["first"] = figures(world)

        viewer = threading.Thread(target=view)
        viewer.start()
        viewer.join(timeout=30)
        writer.commit()
    assert result["first"] == (5, 3)  # the uncommitted check-in is not seen ...
    assert figures(world) == (6, 3)  # ... and, committed, is counted next time


@pytest.mark.parametrize("limit", [0, 10_000])
def test_new_volunteers_counted_both_ways(world, db, monkeypatch, limit):
    """Looked up by id (a station's few) or by reading the period's registrations (a
    district's many), the same count."""
    from volunteer_app.reports import volunteer_sets

    monkeypatch.setattr(volunteer_sets, "LOOKUP_LIMIT", limit)
    start, end = MARCH.bounds(SHANGHAI)
    ids = volunteer_sets.bits_of(v.id for v in world.vols.values())
    assert volunteer_sets.count_registered(ids, start, end) == 3  # V3 V4 V5
    assert volunteer_sets.count_registered(0, start, end) == 0
    assert (
        volunteer_sets.count_registered(
            volunteer_sets.bits_of([world.vols["V1"].id, 99999]), start, end
        )
        == 0
    )
