"""Voided records with a database: kept and audited, counted nowhere, restorable."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.services import for_activity
from volunteer_app.checkins import review, services, voids
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.checkins.rules import CheckInError
from volunteer_app.checkins.voids import VoidError, validate_void_reason
from volunteer_app.database import utcnow
from volunteer_app.reports import rows, volunteer_sets
from volunteer_app.reports.models import ActivityStats
from volunteer_app.stations.models import Unit
from volunteer_app.volunteers import certificates, records


def test_a_void_needs_a_reason():
    for bad in ("", "   ", None):
        with pytest.raises(VoidError) as info:
            validate_void_reason(bad)
        assert info.value.code == "reason_required" and info.value.status == 400
    with pytest.raises(VoidError) as info:
        validate_void_reason("x" * 501)
    assert info.value.code == "reason_too_long"
    assert validate_void_reason("  测试  签到 ") == "测试 签到"


@pytest.fixture
def served(db, make):
    """An ended activity with two confirmed records of 2 h."""
    start = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    activity = make.activity(starts_at=start, minutes=180)
    user = make.user(unit=activity.unit)
    junk, real = make.volunteer("测试"), make.volunteer("王芳")
    for v in (junk, real):
        services.check_in(activity, v, now=start)
        record = services.check_out(activity, v, now=start + timedelta(hours=2))
        record.status = HoursStatus.CONFIRMED
    db.session.flush()
    return activity, user, junk, real


def stats(db, activity_id: int) -> tuple[int, int]:
    """The activity's report sums (kept by triggers): check-ins, confirmed minutes."""
    row = db.session.execute(
        select(func.sum(ActivityStats.checkins), func.sum(ActivityStats.confirmed_minutes)).where(
            ActivityStats.activity_id == activity_id
        )
    ).one()
    return tuple(row)


def test_a_voided_record_counts_nowhere_but_stays(db, served):
    activity, user, junk, real = served
    record = services.find_record(activity.id, junk.id)
    assert stats(db, activity.id) == (2, 240)
    voids.void_record(record, user, reason="布置现场时的测试签到", now=utcnow())
    db.session.expire_all()
    # the report sums (triggers), the activity's counts, the projector's, the attendance list
    assert stats(db, activity.id) == (1, 120)
    assert review.counts(activity.id)["pending"] == 0
    assert services.count_records(activity.id) == 1
    assert [r.volunteer_id for r in services.attendance(activity.id)] == [real.id]
    # exports, the volunteer's own hours and stars, certificates
    assert [r.name for r in rows.attendance_rows(activity.id)] == ["王芳"]
    assert records.totals(records.history(junk.id)).confirmed_minutes == 0
    today = (utcnow() + timedelta(hours=8)).date()
    assert certificates.confirmed_records(junk.id, today - timedelta(days=7), today) == []
    # still there, with its reason, and audited
    assert (
        db.session.scalar(
            select(func.count()).select_from(CheckIn).execution_options(include_voided=True)
        )
        == 2
    )
    (kept,) = voids.voided_records(activity.id)
    assert kept.id == record.id and kept.void_reason == "布置现场时的测试签到"
    entry = next(e for e in for_activity(activity.id) if e.action == "checkin.void")
    assert entry.actor_user_id == user.id and entry.old_value["minutes"] == 120
    assert entry.personal_value("reason") == "布置现场时的测试签到"


def test_a_record_is_voided_once(db, served):
    activity, user, junk, _real = served
    record = services.find_record(activity.id, junk.id)
    voids.void_record(record, user, reason="测试", now=utcnow())
    with pytest.raises(VoidError) as info:
        voids.void_record(record, user, reason="测试", now=utcnow())
    assert info.value.code == "already_voided"


def test_restoring_brings_the_hours_back(db, served):
    activity, user, junk, _real = served
    record = services.find_record(activity.id, junk.id)
    voids.void_record(record, user, reason="点错了", now=utcnow())
    voids.restore_record(record, user, now=utcnow())
    db.session.expire_all()
    assert stats(db, activity.id) == (2, 240)
    assert services.find_record(activity.id, junk.id).void_reason == ""
    actions = [e.action for e in for_activity(activity.id)]
    assert actions[-2:] == ["checkin.void", "checkin.restore"]
    with pytest.raises(VoidError) as info:
        voids.restore_record(record, user, now=utcnow())
    assert info.value.code == "not_voided"


def test_restoring_into_another_record_is_refused(db, make, served):
    activity, user, junk, _real = served
    record = services.find_record(activity.id, junk.id)
    voids.void_record(record, user, reason="记错了活动", now=utcnow())
    other = make.activity(starts_at=activity.starts_at, minutes=180)
    review.add_hours(other, junk, user, minutes=120, reason="纸质签到表", now=utcnow())
    with pytest.raises(CheckInError) as info:
        voids.restore_record(record, user, now=utcnow())
    assert info.value.code == "overlaps"


def test_a_voided_record_is_no_overlap_and_blocks_a_second_check_in_here(db, make):
    activity = make.activity()
    user = make.user(unit=activity.unit)
    volunteer = make.volunteer()
    record = services.check_in(activity, volunteer, now=activity.starts_at)
    voids.void_record(record, user, reason="测试", now=utcnow())
    elsewhere = make.activity()
    assert services.check_in(elsewhere, volunteer, now=utcnow()).closed_elsewhere == []
    with pytest.raises(CheckInError) as info:
        services.check_in(activity, volunteer, now=utcnow())
    assert info.value.code == "voided_here"


def test_a_voided_record_leaves_the_volunteer_sets(db, make, served):
    activity, user, junk, real = served
    record = services.find_record(activity.id, junk.id)
    voids.void_record(record, user, reason="测试", now=utcnow())
    db.session.flush()
    stmt = volunteer_sets._served_stmt(
        select(Unit.id).where(Unit.id == activity.unit_id),
        [(activity.starts_at - timedelta(hours=1), activity.ends_at)],
    )
    assert set(db.session.scalars(stmt)) == {real.id}
