"""Honest records with a database: one person's time never counted twice, no future time.

Every write path of a record's times: the volunteer's scan, the organizer's check-in and
check-out (desk, card scanner, API: ``organizer.record_for``), queued offline records
(``offline.record_queued``), adjustments, hours added afterwards and corrections.
"""

from datetime import timedelta

import pytest

from volunteer_app.audit.services import for_activity
from volunteer_app.checkins import corrections, offline, organizer, review, services
from volunteer_app.checkins.models import Correction
from volunteer_app.checkins.review_rules import HoursError
from volunteer_app.checkins.rules import Action, CheckInError
from volunteer_app.database import utcnow


@pytest.fixture
def two(make):
    """Two activities of different stations, both running now (started 2 hours ago)."""
    start = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    a = make.activity(title="测血压", starts_at=start, minutes=240)
    b = make.activity(title="清扫街道", starts_at=start, minutes=240)
    return a, b, make.volunteer()


def code_of(call) -> str:
    with pytest.raises((CheckInError, HoursError)) as info:
        call()
    return info.value.code


def test_check_in_at_b_checks_out_of_a_at_that_time(db, two):
    a, b, volunteer = two
    services.check_in(a, volunteer, now=a.starts_at)
    at_b = a.starts_at + timedelta(minutes=75)
    record = services.check_in(b, volunteer, now=at_b)
    (closed,) = record.closed_elsewhere
    assert closed.activity_id == a.id and closed.checked_out_at == at_b
    assert closed.minutes == 60  # 75 minutes, rounded down
    entry = next(e for e in for_activity(a.id) if e.action == "checkout.auto")
    assert entry.actor_volunteer_id == volunteer.id
    assert entry.new_value["because_activity_id"] == b.id
    # and the hours: B runs on from 75 minutes, A ended there
    services.check_out(b, volunteer, now=at_b + timedelta(minutes=60))
    assert services.find_record(b.id, volunteer.id).minutes == 60


def test_an_organizers_check_in_elsewhere_is_the_organizers_closing(db, make, two):
    a, b, volunteer = two
    user = make.user(unit=b.unit)
    services.check_in(a, volunteer, now=a.starts_at)
    record = organizer.record_for(b, user, volunteer, Action.CHECK_IN, now=utcnow())
    (closed,) = record.closed_elsewhere
    entry = next(e for e in for_activity(a.id) if e.action == "checkout.auto")
    assert entry.actor_user_id == user.id and closed.checked_out_at == record.checked_in_at


def test_a_stay_left_open_past_its_check_out_time_is_no_running_stay(app, db, make):
    # never closed (no cron yet): it ends at its activity's end, where the closing will put it
    old = make.activity(starts_at=(utcnow() - timedelta(hours=8)).replace(microsecond=0))
    now_ = make.activity()
    volunteer = make.volunteer()
    services.check_in(old, volunteer, now=old.starts_at)
    record = services.check_in(now_, volunteer, now=utcnow())
    assert record.closed_elsewhere == []
    services.check_out(now_, volunteer, now=utcnow())  # no overlap with the stale one
    assert services.find_record(old.id, volunteer.id).checked_out_at is None
    assert review.close_all_due(utcnow()) == 1


def test_a_queued_check_in_inside_another_record_is_refused(db, make, two):
    a, b, volunteer = two
    user = make.user(unit=b.unit)
    services.check_in(a, volunteer, now=a.starts_at)
    services.check_out(a, volunteer, now=a.starts_at + timedelta(minutes=90))
    code = code_of(
        lambda: offline.record_queued(
            b,
            user,
            volunteer,
            action=Action.CHECK_IN,
            acted_at=a.starts_at + timedelta(minutes=30),
            now=utcnow(),
            source="tick",
        )
    )
    assert code == "overlaps"
    assert services.find_record(b.id, volunteer.id) is None


def test_a_queued_check_in_before_the_open_one_began_is_refused(db, make, two):
    a, b, volunteer = two
    user = make.user(unit=b.unit)
    services.check_in(a, volunteer, now=a.starts_at + timedelta(minutes=60))
    code = code_of(
        lambda: offline.record_queued(
            b,
            user,
            volunteer,
            action=Action.CHECK_IN,
            acted_at=a.starts_at + timedelta(minutes=30),
            now=utcnow(),
            source="scan",
        )
    )
    assert code == "overlaps"


def test_a_queued_check_out_before_its_check_in_is_refused(db, make, two):
    a, _b, volunteer = two
    user = make.user(unit=a.unit)
    services.check_in(a, volunteer, now=a.starts_at + timedelta(minutes=60))
    code = code_of(
        lambda: offline.record_queued(
            a,
            user,
            volunteer,
            action=Action.CHECK_OUT,
            acted_at=a.starts_at + timedelta(minutes=30),
            now=utcnow(),
            source="tick",
        )
    )
    assert code == "before_check_in"
    assert services.find_record(a.id, volunteer.id).checked_out_at is None


def _ended(make, hours_ago: int = 5, minutes: int = 180):
    start = (utcnow() - timedelta(hours=hours_ago)).replace(microsecond=0)
    return make.activity(starts_at=start, minutes=minutes)


def test_add_hours_overlapping_another_record_is_refused(db, make):
    a = _ended(make)
    b = _ended(make)  # the same time
    volunteer = make.volunteer()
    user = make.user(unit=b.unit)
    services.check_in(a, volunteer, now=a.starts_at)
    services.check_out(a, volunteer, now=a.starts_at + timedelta(hours=2))
    code = code_of(
        lambda: review.add_hours(b, volunteer, user, minutes=60, reason="纸质签到表", now=utcnow())
    )
    assert code == "overlaps"
    assert services.find_record(b.id, volunteer.id) is None


def test_add_hours_at_another_time_is_accepted(db, make):
    a = _ended(make, hours_ago=9)
    b = _ended(make, hours_ago=5)
    volunteer = make.volunteer()
    user = make.user(unit=b.unit)
    services.check_in(a, volunteer, now=a.starts_at)
    services.check_out(a, volunteer, now=a.ends_at)
    record = review.add_hours(b, volunteer, user, minutes=60, reason="纸质签到表", now=utcnow())
    assert record.minutes == 60


def test_add_hours_while_still_checked_in_elsewhere_is_refused(db, make):
    b = _ended(make, hours_ago=4, minutes=60)
    a = _ended(make, hours_ago=5, minutes=600)  # running, the volunteer in since before b ended
    volunteer = make.volunteer()
    user = make.user(unit=b.unit)
    services.check_in(a, volunteer, now=b.starts_at + timedelta(minutes=10))
    code = code_of(
        lambda: review.add_hours(b, volunteer, user, minutes=30, reason="补录", now=utcnow())
    )
    assert code == "overlaps"


def test_adjusting_beyond_the_stay_into_another_record_is_refused(db, make):
    a = _ended(make)  # 3 hours
    b = _ended(make)
    volunteer = make.volunteer()
    user = make.user(unit=a.unit)
    services.check_in(a, volunteer, now=a.starts_at)
    record = services.check_out(a, volunteer, now=a.starts_at + timedelta(hours=1))
    services.check_in(b, volunteer, now=a.starts_at + timedelta(hours=1))
    services.check_out(b, volunteer, now=a.ends_at)
    code = code_of(
        lambda: review.adjust_hours(record, user, minutes=180, reason="一直在", now=utcnow())
    )
    assert code == "overlaps"
    review.adjust_hours(record, user, minutes=30, reason="中途离开", now=utcnow())
    assert record.minutes == 30


def test_adjusting_hours_not_yet_served_is_refused(db, make):
    a = make.activity()  # started 10 minutes ago, 3 hours long
    volunteer = make.volunteer()
    user = make.user(unit=a.unit)
    services.check_in(a, volunteer, now=a.starts_at)
    record = services.check_out(a, volunteer, now=a.starts_at + timedelta(minutes=5))
    code = code_of(
        lambda: review.adjust_hours(record, user, minutes=120, reason="提前记", now=utcnow())
    )
    assert code == "future_hours"


def _correction(db, record, volunteer, **times) -> Correction:
    return corrections.request_correction(
        volunteer, record, reason="忘记签退", now=utcnow(), proposed_in_at=None, **times
    )


def test_a_correction_ending_in_the_future_is_refused(db, make):
    # the reported bug: a check-out at 05:30 accepted at 04:13 credited 1.5 h
    a = make.activity()
    volunteer = make.volunteer()
    user = make.user(unit=a.unit)
    record = services.check_in(a, volunteer, now=a.starts_at)
    ahead = utcnow() + timedelta(minutes=77)
    correction = _correction(db, record, volunteer, proposed_out_at=None)
    code = code_of(
        lambda: corrections.accept(
            correction,
            user,
            checked_in_at=a.starts_at,
            checked_out_at=ahead,
            reason="",
            now=utcnow(),
        )
    )
    assert code == "future"
    db.session.refresh(record)
    assert record.checked_out_at is None and record.minutes == 0


def test_a_correction_outside_the_activity_is_refused(db, make):
    a = _ended(make, hours_ago=30)
    volunteer = make.volunteer()
    user = make.user(unit=a.unit)
    record = services.check_in(a, volunteer, now=a.starts_at)
    correction = _correction(db, record, volunteer, proposed_out_at=None)
    code = code_of(
        lambda: corrections.accept(
            correction,
            user,
            checked_in_at=a.starts_at,
            checked_out_at=a.ends_at + timedelta(hours=5),
            reason="",
            now=utcnow(),
        )
    )
    assert code == "outside_activity"


def test_a_correction_overlapping_another_record_is_refused(db, make):
    a = _ended(make)
    b = _ended(make)
    volunteer = make.volunteer()
    user = make.user(unit=a.unit)
    record = services.check_in(a, volunteer, now=a.starts_at)
    services.check_in(b, volunteer, now=a.starts_at + timedelta(hours=1))  # closes a
    services.check_out(b, volunteer, now=a.ends_at)
    correction = _correction(db, record, volunteer, proposed_out_at=None)
    code = code_of(
        lambda: corrections.accept(
            correction,
            user,
            checked_in_at=a.starts_at,
            checked_out_at=a.ends_at,
            reason="",
            now=utcnow(),
        )
    )
    assert code == "overlaps"
    corrections.accept(
        correction,
        user,
        checked_in_at=a.starts_at,
        checked_out_at=a.starts_at + timedelta(minutes=60),
        reason="",
        now=utcnow(),
    )
    assert record.minutes == 60
