"""Periodic tasks without cron: when each is due, and what each does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from volunteer_app.checkins import services
from volunteer_app.database import utcnow
from volunteer_app.jobs import periodic
from volunteer_app.jobs.queue import huey
from volunteer_app.localtime import utc_to_local
from volunteer_app.needs import rules as need_rules
from volunteer_app.needs import services as need_services
from volunteer_app.needs.models import NeedStatus
from volunteer_app.needs.rules import Step
from volunteer_app.needs.services import Actor
from volunteer_app.reports import warming


def _due_at(moment: datetime) -> set[str]:
    return {task.name for task in huey.read_periodic(moment)}


def test_the_consumer_knows_every_periodic_task_and_when_each_is_due(app):
    every_minute = {"sweep-jobs", "start-orders"}
    assert _due_at(datetime(2026, 12, 2, 8, 5, tzinfo=UTC)) == {"close-checkins", *every_minute}
    assert _due_at(datetime(2026, 12, 2, 8, 6, tzinfo=UTC)) == every_minute
    assert _due_at(datetime(2026, 12, 2, 8, 10, tzinfo=UTC)) == {
        "close-checkins",
        "warm-report-sets",
        *every_minute,
    }


def test_the_kept_volunteer_sets_of_districts_and_centres_are_warmed(app, make, db):
    from sqlalchemy import select

    from volunteer_app.reports.models import VolunteerSet
    from volunteer_app.reports.volunteer_sets import unpack
    from volunteer_app.stations.models import UnitLevel

    station = make.unit()  # a station under a centre under a district
    centre, district = station.parent, station.parent.parent
    assert (centre.level, district.level) == (UnitLevel.CENTRE, UnitLevel.DISTRICT)
    last_year = utc_to_local(utcnow()).year - 1
    held = make.activity(station, starts_at=datetime(last_year, 6, 1, 2, tzinfo=UTC))
    volunteer = make.volunteer("王芳")
    db.session.commit()
    services.check_in(held, volunteer, now=held.starts_at)
    db.session.commit()
    warming.warm_report_sets_task()  # as the consumer runs it (immediate in tests)
    db.session.expire_all()
    rows = db.session.execute(
        select(VolunteerSet.unit_id, VolunteerSet.version, VolunteerSet.filled_version)
    ).all()
    assert {unit_id for unit_id, _, _ in rows} == {centre.id, district.id}  # no station
    assert all(version == filled for _, version, filled in rows)
    # last year's set and June's, for each of the two
    holding = db.session.scalars(
        select(VolunteerSet.volunteer_ids).where(
            VolunteerSet.starts_at <= held.starts_at, VolunteerSet.ends_at > held.starts_at
        )
    ).all()
    assert [unpack(blob) for blob in holding] == [{volunteer.id}] * 4
    assert warming.warm_report_sets() == 0  # nothing missing or invalid is left


def test_forgotten_checkouts_are_closed_after_their_grace(app, make, db):
    start = (utcnow() - timedelta(hours=6)).replace(microsecond=0)
    ended = make.activity(starts_at=start, minutes=180)  # ended 3 h ago: past the 2 h grace
    recent = make.activity(starts_at=start + timedelta(hours=2), minutes=180)  # ended 1 h ago
    left_open = services.check_in(ended, make.volunteer("王芳"), now=start)
    still_in_grace = services.check_in(recent, make.volunteer("张伟"), now=recent.starts_at)
    db.session.commit()
    periodic.close_checkins_task()  # as the consumer runs it (immediate in tests)
    db.session.expire_all()
    assert left_open.checked_out_at == ended.ends_at and left_open.minutes == 0
    assert left_open.needs_review
    assert still_in_grace.checked_out_at is None
    assert periodic.close_forgotten_checkouts() == 0  # nothing more is due


def test_the_sweep_runs_as_a_periodic_task(app, db):
    periodic.sweep_jobs_task()  # nothing to do is fine
    assert periodic.sweep_jobs() == (0, 0)


def _taken_order(make, station, team, *, now):
    today = utc_to_local(now).date()
    fields = need_rules.validate_order(
        contact_name="张桂芝",
        contact_phone="13800001234",
        title="上门测血压",
        wanted_date=today,
        expected_minutes=60,
        today=today,
    )
    need = need_services.submit(station, fields, category_id=make.category().id, now=now)
    organizer = Actor.organizer(make.user(unit=station))
    need_services.take_step(need, Step.ACCEPT, organizer, now=now)
    need_services.take_step(
        need, Step.DISPATCH, organizer, team=team, take_by=now + timedelta(days=1), now=now
    )
    need_services.take_step(need, Step.TAKE, organizer, now=now)
    return need


def test_an_order_goes_in_service_when_its_activity_begins(app, make, db):
    now = utcnow().replace(microsecond=0)
    station = make.unit()
    team = make.team(station, name="幸福社区医护志愿服务队")
    begun = _taken_order(make, station, team, now=now)
    later = _taken_order(make, station, team, now=now)
    begun.activity.starts_at = now - timedelta(minutes=1)
    later.activity.starts_at = now + timedelta(hours=3)
    db.session.commit()

    periodic.start_orders_task()  # as the consumer runs it (immediate in tests)
    db.session.expire_all()
    assert begun.status == NeedStatus.IN_SERVICE
    assert later.status == NeedStatus.TAKEN
    (start,) = [e for e in need_services.log_of(begun) if e.action == "start"]
    assert start.actor_user_id is None and start.actor_volunteer_id is None  # the app itself
    assert periodic.start_orders() == 0  # nothing more is due: never logged twice


def test_a_cancelled_activity_does_not_put_its_order_in_service(app, make, db):
    from volunteer_app.activities.models import ActivityStatus

    now = utcnow().replace(microsecond=0)
    station = make.unit()
    need = _taken_order(make, station, make.team(station, name="交警志愿服务队"), now=now)
    need.activity.starts_at = now - timedelta(minutes=5)
    need.activity.status = ActivityStatus.CANCELLED
    db.session.commit()
    assert periodic.start_orders() == 0
    db.session.expire_all()
    assert need.status == NeedStatus.TAKEN
