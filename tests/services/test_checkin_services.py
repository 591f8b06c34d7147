"""Check-in services against a real database (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from volunteer_app.activities.models import ActivityStatus
from volunteer_app.checkins import services
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.checkins.rules import CheckInError
from volunteer_app.volunteers.services import register


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def test_check_in_then_out_credits_rounded_hours(db, make):
    activity = make.activity()
    volunteer = make.volunteer()
    now = activity.starts_at + timedelta(minutes=5)
    record = services.check_in(activity, volunteer, now=now)
    assert record.origin is HoursOrigin.SCAN and record.status is HoursStatus.PENDING
    record = services.check_out(activity, volunteer, now=now + timedelta(minutes=100))
    assert record.minutes == 90
    assert record.hours == 1.5
    db.session.commit()
    assert count(db) == 1


def test_second_check_in_is_refused_and_not_recorded(db, make):
    activity, volunteer = make.activity(), make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    with pytest.raises(CheckInError) as info:
        services.check_in(activity, volunteer, now=activity.starts_at + timedelta(minutes=1))
    assert info.value.code == "already_checked_in"
    db.session.commit()
    assert count(db) == 1


def test_database_refuses_a_duplicate_record_even_without_the_service(db, make):
    activity, volunteer = make.activity(), make.volunteer()
    for _ in range(2):
        db.session.add(
            CheckIn(
                activity_id=activity.id, volunteer_id=volunteer.id, checked_in_at=activity.starts_at
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_race_lost_at_the_insert_becomes_already_checked_in(db, make, monkeypatch):
    """Two scans at once both pass the read; the unique constraint settles it."""
    activity, volunteer = make.activity(), make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    monkeypatch.setattr(services, "find_record", lambda *args: None)  # the stale read
    with pytest.raises(CheckInError) as info:
        services.check_in(activity, volunteer, now=activity.starts_at)
    assert info.value.code == "already_checked_in"
    db.session.commit()  # the session is still usable after the failed savepoint
    assert count(db) == 1


def test_double_check_out_credits_once(db, make):
    activity, volunteer = make.activity(), make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    services.check_out(activity, volunteer, now=activity.starts_at + timedelta(hours=1))
    with pytest.raises(CheckInError) as info:
        services.check_out(activity, volunteer, now=activity.starts_at + timedelta(hours=2))
    assert info.value.code == "already_checked_out"
    record = services.find_record(activity.id, volunteer.id)
    assert record.minutes == 60


def test_cancelled_activity_refuses(make):
    activity = make.activity(status=ActivityStatus.CANCELLED)
    with pytest.raises(CheckInError) as info:
        services.check_in(activity, make.volunteer(), now=activity.starts_at)
    assert info.value.code == "cancelled"


def test_window_comes_from_config(app, make):
    activity = make.activity()
    app.config["CHECKIN_OPENS_BEFORE_MINUTES"] = 15
    window = services.window_for(activity)
    assert window.opens_at == activity.starts_at - timedelta(minutes=15)


def test_organizer_recorded_check_in_has_organizer_origin(make):
    activity, volunteer = make.activity(), make.volunteer()
    organizer = make.user(unit=activity.unit)
    record = services.check_in(
        activity, volunteer, now=activity.starts_at, recorded_by_id=organizer.id
    )
    assert record.origin is HoursOrigin.ORGANIZER
    assert record.recorded_by_id == organizer.id


def test_register_twice_returns_the_same_volunteer(db, make):
    now = make.activity().starts_at
    first = register("李秀英", "13812341234", now=now, consent_version="v1")
    again = register("李秀英", "13812341234", now=now, consent_version="v1")
    assert first.id == again.id and again.name == "李秀英"


def test_another_name_on_a_registered_number_is_another_person_of_its_household(db, make):
    now = make.activity().starts_at
    parent = register("李秀英", "13812341234", now=now, consent_version="v1")
    child = register("王小明", "13812341234", now=now, consent_version="v1")
    assert child.id != parent.id and child.household_id == parent.household_id
    assert parent.name == "李秀英" and child.phone == parent.phone == "13812341234"


def test_attendance_lists_in_arrival_order(make):
    activity = make.activity()
    late, early = make.volunteer("晚到"), make.volunteer("早到")
    services.check_in(activity, late, now=activity.starts_at + timedelta(minutes=20))
    services.check_in(activity, early, now=activity.starts_at)
    assert [r.volunteer.name for r in services.attendance(activity.id)] == ["早到", "晚到"]


def test_times_round_trip_as_aware_utc(db, make):
    activity = make.activity()
    db.session.commit()
    db.session.expire_all()
    assert activity.starts_at.utcoffset() == timedelta(0)


def test_one_activity_keeps_one_stats_row_without_contention(db, make):
    """Check-ins one after another add to a single activity_stats row (reports add up
    one row per activity), and it holds the check-ins' sums."""
    from volunteer_app.reports.models import ActivityStats

    activity = make.activity()
    for i in range(20):
        services.check_in(activity, make.volunteer(phone=f"1390000{i:04d}"), now=activity.starts_at)
    db.session.commit()
    rows = db.session.scalars(
        select(ActivityStats).where(ActivityStats.activity_id == activity.id)
    ).all()
    assert [(r.shard, r.checkins, r.open_checkins) for r in rows] == [(0, 20, 20)]
    assert count(db) == 20


@pytest.mark.postgresql_only
def test_a_contended_stats_row_is_skipped_not_waited_for(app, db, make):
    """PostgreSQL: while one transaction holds the activity's stats row, another check-in
    to the same activity adds to a second row instead of queueing (a lock wait here would
    hit the lock timeout), and the rows add up once both commit."""
    from sqlalchemy import insert, text

    from volunteer_app.reports.models import ActivityStats

    activity = make.activity()
    services.check_in(activity, make.volunteer(phone="13900002222"), now=activity.starts_at)
    first, second = make.volunteer(), make.volunteer(phone="13900001111")
    db.session.commit()  # the activity has its row 0

    def record(volunteer):
        return insert(CheckIn).values(
            activity_id=activity.id,
            volunteer_id=volunteer.id,
            checked_in_at=activity.starts_at,
            minutes=0,
            origin=HoursOrigin.SCAN,
            status=HoursStatus.PENDING,
        )

    with db.engine.connect() as holder, db.engine.connect() as other:
        holder.begin()
        holder.execute(record(first))  # holds the activity's row 0, uncommitted
        other.begin()
        other.execute(text("SET LOCAL lock_timeout = '3s'"))
        other.execute(record(second))
        other.commit()
        holder.commit()
    db.session.expire_all()
    rows = db.session.scalars(
        select(ActivityStats).where(ActivityStats.activity_id == activity.id)
    ).all()
    assert len(rows) == 2
    assert sum(r.checkins for r in rows) == 3 == count(db)


def test_already_in_is_said_before_closed_and_not_open_yet(db, make):
    """The rule's order survives the single INSERT: a volunteer who is in hears "already
    checked in" even after closing; someone who is not hears "closed"."""
    activity, volunteer, other = make.activity(), make.volunteer(), make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    late = activity.ends_at + timedelta(days=1)
    with pytest.raises(CheckInError) as info:
        services.check_in(activity, volunteer, now=late)
    assert info.value.code == "already_checked_in"
    with pytest.raises(CheckInError) as info:
        services.check_in(activity, other, now=late)
    assert info.value.code == "closed"
    with pytest.raises(CheckInError) as info:
        services.check_in(activity, other, now=activity.starts_at - timedelta(days=1))
    assert info.value.code == "not_open_yet"
    db.session.commit()
    assert count(db) == 1
