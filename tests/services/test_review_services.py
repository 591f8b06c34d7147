"""Hours review with a database: close at the end, adjust, confirm, audit, overdue flag."""

from datetime import timedelta

import pytest

from volunteer_app.activities import services as activities
from volunteer_app.activities.models import ActivityStatus
from volunteer_app.activities.rules import LifecycleError
from volunteer_app.audit.services import for_activity
from volunteer_app.checkins import review, services
from volunteer_app.checkins.models import HoursOrigin, HoursStatus
from volunteer_app.checkins.review_rules import HoursError
from volunteer_app.database import utcnow


@pytest.fixture
def held(make):
    """An activity that ended an hour ago, one volunteer out, one still in."""
    start = (utcnow() - timedelta(hours=4)).replace(microsecond=0)
    activity = make.activity(starts_at=start, minutes=180)
    user = make.user(unit=activity.unit)
    out, stays = make.volunteer("王芳"), make.volunteer("张伟")
    services.check_in(activity, out, now=start)
    services.check_out(activity, out, now=start + timedelta(hours=2))
    services.check_in(activity, stays, now=start + timedelta(minutes=5))
    return activity, user, out, stays


def test_close_open_checkins_marks_for_review_and_audits(db, held):
    activity, user, out, stays = held
    closed = review.close_open_checkins(activity, utcnow(), actor=user)
    assert [r.volunteer_id for r in closed] == [stays.id]
    record = services.find_record(activity.id, stays.id)
    assert record.checked_out_at == activity.ends_at and record.minutes == 0
    assert record.needs_review
    assert not services.find_record(activity.id, out.id).needs_review
    (entry,) = for_activity(activity.id)
    assert entry.action == "checkin.close_at_end" and entry.actor_user_id == user.id


def test_close_before_the_end_is_refused(make):
    activity = make.activity()
    with pytest.raises(HoursError) as info:
        review.close_open_checkins(activity, utcnow())
    assert info.value.code == "not_ended"


def test_close_all_due_waits_for_the_checkout_grace(app, db, held):
    activity, _user, _out, stays = held
    # ended an hour ago; the grace (120 min) is not over yet
    assert review.close_all_due(utcnow()) == 0
    assert review.close_all_due(utcnow() + timedelta(hours=2)) == 1
    assert services.find_record(activity.id, stays.id).needs_review


def test_adjust_needs_reason_and_becomes_organizer_hours(db, held):
    activity, user, out, _stays = held
    record = services.find_record(activity.id, out.id)
    assert record.minutes == 120 and record.origin == HoursOrigin.SCAN
    with pytest.raises(HoursError) as info:
        review.adjust_hours(record, user, minutes=150, reason=" ", now=utcnow())
    assert info.value.code == "reason_required"
    review.adjust_hours(record, user, minutes=150, reason="帮忙收拾场地", now=utcnow())
    assert record.minutes == 150 and record.origin == HoursOrigin.ORGANIZER
    assert record.recorded_by_id == user.id
    (entry,) = for_activity(activity.id)
    assert entry.old_value == {"minutes": 120, "origin": "scan", "status": "pending"}
    assert entry.new_value == {"minutes": 150, "origin": "organizer", "status": "pending"}
    assert entry.personal_value("reason") == "帮忙收拾场地"


def test_adjusting_confirmed_hours_returns_them_to_pending(db, held):
    from volunteer_app.checkins.models import HoursStatus

    activity, user, out, _stays = held
    record = services.find_record(activity.id, out.id)
    record.status = HoursStatus.CONFIRMED
    db.session.flush()
    review.adjust_hours(record, user, minutes=90, reason="核对签到表后更正", now=utcnow())
    assert record.status is HoursStatus.PENDING and record.minutes == 90
    (entry,) = for_activity(activity.id)
    assert entry.old_value["status"] == "confirmed" and entry.new_value["status"] == "pending"


def test_confirm_requires_closed_and_reviewed_records(db, held):
    activity, user, _out, stays = held
    with pytest.raises(HoursError) as info:
        review.confirm_hours(activity, user, now=utcnow())
    assert info.value.code == "open_checkins"
    review.close_open_checkins(activity, utcnow(), actor=user)
    with pytest.raises(HoursError) as info:
        review.confirm_hours(activity, user, now=utcnow())
    assert info.value.code == "needs_review"
    record = services.find_record(activity.id, stays.id)
    review.adjust_hours(record, user, minutes=60, reason="11点提前离开", now=utcnow())
    assert review.confirm_hours(activity, user, now=utcnow()) == 2
    assert activity.status == ActivityStatus.FINISHED
    assert {r.status for r in services.attendance(activity.id)} == {HoursStatus.CONFIRMED}
    actions = [e.action for e in for_activity(activity.id)]
    assert actions.count("hours.confirm") == 2 and "activity.status" in actions
    with pytest.raises(HoursError) as info:
        review.confirm_hours(activity, user, now=utcnow())
    assert info.value.code == "nothing_to_confirm"


def test_min_presence_rule_marks_short_stays(app, db, make):
    app.config["MIN_PRESENCE_PERCENT"] = 60
    start = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    activity = make.activity(starts_at=start, minutes=180)
    volunteer = make.volunteer()
    services.check_in(activity, volunteer, now=start)
    record = services.check_out(activity, volunteer, now=start + timedelta(minutes=60))
    assert record.minutes == 0 and record.needs_review


def test_organizer_checkout_is_organizer_hours(db, make):
    activity = make.activity()
    user = make.user(unit=activity.unit)
    volunteer = make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    record = services.check_out(
        activity, volunteer, now=activity.starts_at + timedelta(hours=1), recorded_by_id=user.id
    )
    assert record.origin == HoursOrigin.ORGANIZER and record.recorded_by_id == user.id
    assert record.minutes == 60


def test_lifecycle_and_duplicate(db, make):
    activity = make.activity(status=ActivityStatus.DRAFT)
    user = make.user(unit=activity.unit)
    activities.change_status(activity, user, ActivityStatus.PUBLISHED, now=utcnow())
    services.check_in(activity, make.volunteer(), now=utcnow())
    with pytest.raises(LifecycleError) as info:
        activities.change_status(activity, user, ActivityStatus.CANCELLED, now=utcnow())
    assert info.value.code == "has_checkins"
    copy = activities.duplicate_activity(
        activity, user, new_starts_at=activity.starts_at + timedelta(days=7), now=utcnow()
    )
    assert copy.status == ActivityStatus.DRAFT and copy.id != activity.id
    assert copy.ends_at - copy.starts_at == activity.ends_at - activity.starts_at
    assert copy.title == activity.title and copy.place == activity.place
    (entry,) = for_activity(activity.id)
    assert entry.old_value == {"status": "draft"} and entry.new_value == {"status": "published"}


def test_overdue_flag_on_the_list(db, make):
    now = utcnow()
    old = make.activity(title="早已结束", starts_at=now - timedelta(days=30))
    recent = make.activity(unit=old.unit, title="刚结束", starts_at=now - timedelta(days=1))
    user = make.user(unit=old.unit)
    for activity in (old, recent):
        volunteer = make.volunteer()
        services.check_in(activity, volunteer, now=activity.starts_at)
        services.check_out(activity, volunteer, now=activity.starts_at + timedelta(hours=1))
    _current, past = activities.list_for(user, now=now)
    flags = {row.activity.title: (row.overdue, row.pending) for row in past}
    assert flags == {"早已结束": (True, 1), "刚结束": (False, 1)}
    review.confirm_hours(old, user, now=now)
    _current, past = activities.list_for(user, now=now)
    assert {row.activity.title: row.overdue for row in past}["早已结束"] is False
