"""Residents' orders through the services (needs/services.py): one order through every
step, its log, the activity it becomes, a decline, urging, and the figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.database import utcnow
from volunteer_app.localtime import utc_to_local
from volunteer_app.needs import rules, services
from volunteer_app.needs.models import DayPart, NeedEvent
from volunteer_app.needs.models import NeedStatus as S
from volunteer_app.needs.rules import NeedError, Step
from volunteer_app.needs.services import Actor
from volunteer_app.stations.models import UnitLevel


def placed(make, station, now, **changes):
    today = utc_to_local(now).date()
    fields = rules.validate_order(
        contact_name="张桂芝",
        contact_phone="13800001234",
        title="上门测血压",
        address="万福街道幸福小区3号楼2单元",
        wanted_date=today + timedelta(days=2),
        expected_minutes=90,
        today=today,
        **changes,
    )
    return services.submit(
        station, fields, category_id=make.category().id, wanted_part=DayPart.AFTERNOON, now=now
    )


def test_one_order_through_every_step(app, make, db):
    now = utcnow().replace(microsecond=0)
    centre = make.unit(level=UnitLevel.CENTRE)
    station = make.unit(parent=centre)
    team = make.team(centre, name="吕陵镇卫生院医护志愿服务队")
    leader = make.member(team, leader=True).volunteer
    station_organizer, centre_organizer = make.user(unit=station), make.user(unit=centre)
    need = placed(make, station, now)
    assert need.status == S.SUBMITTED and need.unit_id == station.id

    services.take_step(
        need, Step.ESCALATE, Actor.organizer(station_organizer), note="站点无医护", now=now
    )
    assert need.status == S.ESCALATED and need.unit_id == centre.id
    deadline = now + timedelta(hours=48)
    services.take_step(
        need, Step.DISPATCH, Actor.organizer(centre_organizer), team=team, take_by=deadline, now=now
    )
    assert need.status == S.DISPATCHED and need.accepted_at == now and need.team_id == team.id
    services.take_step(need, Step.TAKE, Actor.team_leader(leader), now=now)
    activity = need.activity
    assert activity.team_id == team.id and activity.members_only
    assert activity.title == "上门测血压" and "幸福小区" not in activity.place  # never public
    local = utc_to_local(activity.starts_at)
    assert (local.date(), local.hour, local.minute) == (
        utc_to_local(now).date() + timedelta(days=2),
        14,
        30,
    )
    assert activity.ends_at - activity.starts_at == timedelta(minutes=90)
    services.take_step(need, Step.START, Actor.system(), now=now)
    services.take_step(need, Step.COMPLETE, Actor.team_leader(leader), note="已上门测量", now=now)
    rating = services.rate(need, quality=5, attitude=4, comment="医生很耐心", now=now)
    assert need.status == S.RATED and rating.quality == 5

    log = services.log_of(need)
    assert [e.action for e in log] == [
        "submit",
        "escalate",
        "dispatch",
        "take",
        "start",
        "complete",
        "rate",
    ]
    assert log[0].by_resident and log[3].actor_volunteer_id == leader.id
    assert log[1].note == "站点无医护" and log[1].unit_id == centre.id
    figures = services.figures(
        select(station.__class__.id), now - timedelta(days=1), now + timedelta(days=1)
    )
    assert (figures.received, figures.dispatched, figures.taken, figures.completed) == (1, 1, 1, 1)
    assert figures.take_rate == 1 and figures.completion_rate == 1
    assert figures.satisfaction_rate == 1


def test_a_decline_sends_it_back_with_the_team_that_declined_in_the_log(app, make, db):
    now = utcnow()
    station = make.unit()
    team = make.team(station)
    organizer = make.user(unit=station)
    need = placed(make, station, now)
    services.take_step(need, Step.ACCEPT, Actor.organizer(organizer), now=now)
    services.take_step(
        need,
        Step.DISPATCH,
        Actor.organizer(organizer),
        team=team,
        take_by=now + timedelta(hours=1),
        now=now,
    )
    leader = make.member(team, leader=True).volunteer
    with pytest.raises(NeedError) as raised:
        services.take_step(need, Step.DECLINE, Actor.team_leader(leader), now=now)
    assert raised.value.code == "reason_required"
    services.take_step(need, Step.DECLINE, Actor.team_leader(leader), note="本周无人", now=now)
    assert need.status == S.ACCEPTED and need.team_id is None and need.take_by is None
    assert services.log_of(need)[-1].team_id == team.id


def test_a_stale_page_is_told_the_order_moved_on_and_nothing_is_logged(app, make, db):
    now = utcnow()
    station = make.unit()
    organizer = make.user(unit=station)
    need = placed(make, station, now)
    services.take_step(need, Step.ACCEPT, Actor.organizer(organizer), now=now)
    with pytest.raises(NeedError) as raised:
        services.take_step(need, Step.REJECT, Actor.organizer(organizer), note="重复", now=now)
    assert raised.value.code == "wrong_status"
    assert db.session.scalar(select(func.count()).select_from(NeedEvent)) == 2
    # passed up to the district, which has no level above it
    district = make.user(unit=station.parent.parent)
    services.take_step(need, Step.ESCALATE, Actor.organizer(organizer), now=now)
    services.take_step(need, Step.ESCALATE, Actor.organizer(organizer), now=now)
    assert need.unit_id == station.parent.parent_id
    with pytest.raises(NeedError) as raised:
        services.take_step(need, Step.ESCALATE, Actor.organizer(district), now=now)
    assert raised.value.code == "no_unit_above"


def test_urging_once_a_day_and_withdrawing(app, make, db):
    now = utcnow()
    need = placed(make, make.unit(), now)
    services.urge(need, now=now)
    with pytest.raises(NeedError) as raised:
        services.urge(need, now=now + timedelta(minutes=5))
    assert raised.value.code == "urged_today"
    services.urge(need, now=now + timedelta(days=1))
    services.take_step(need, Step.WITHDRAW, Actor.resident(), now=now)
    assert need.status == S.WITHDRAWN
    assert [e.action for e in services.log_of(need)] == ["submit", "urge", "urge", "withdraw"]
    assert services.by_tracking_key(need.tracking_key).id == need.id


def test_a_proxy_order_names_who_placed_it(app, make, db):
    now = utcnow()
    station = make.unit()
    worker = make.user(unit=station)
    today = utc_to_local(now).date()
    fields = rules.validate_order(
        contact_name="李大爷", contact_phone="13900001111", title="清理楼道", today=today
    )
    need = services.submit(
        station,
        fields,
        category_id=make.category().id,
        proxy=worker,
        proxy_note="网格员 王芳",
        now=now,
    )
    assert need.is_proxy and need.proxy_note == "网格员 王芳"
    [event] = services.log_of(need)
    assert event.actor_user_id == worker.id and not event.by_resident
    assert isinstance(today, date)


def answering(app, need_id: int, user_id: int, step: Step, note: str = ""):
    """An actor: an organizer answers the order, as a writing request runs it."""
    from volunteer_app.auth.models import User
    from volunteer_app.extensions import db as _db
    from volunteer_app.needs.models import Need

    def run(go):
        with app.test_request_context("/needs/answer", method="POST"):
            go()
            need = _db.session.get(Need, need_id)
            user = _db.session.get(User, user_id)
            try:
                services.take_step(need, step, Actor.organizer(user), note=note, now=utcnow())
            except NeedError as error:
                _db.session.rollback()
                return error.code
            _db.session.commit()
            return "done"

    return run


def test_two_organizers_answering_at_once_make_one_step(app, make, db):
    from ..races import Race

    station = make.unit()
    need = placed(make, station, utcnow())
    first, second = make.user(unit=station), make.user(unit=station)
    db.session.commit()
    race = Race(app, db)
    race.actor("accept", answering(app, need.id, first.id, Step.ACCEPT))
    race.actor("reject", answering(app, need.id, second.id, Step.REJECT, note="不在服务范围"))
    results = race.run(hold="accept")
    assert sorted(results.values()) == ["done", "wrong_status"]
    db.session.expire_all()
    actions = db.session.scalars(select(NeedEvent.action).order_by(NeedEvent.id)).all()
    assert len(actions) == 2 and actions[0] == "submit"
    assert db.session.get(type(need), need.id).status.value == {"accept": "accepted"}.get(
        actions[1], "rejected"
    )
