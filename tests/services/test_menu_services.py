"""The service menu through its services (needs/menu.py): adding and changing items (each
audited, the provider in reach), booking one with an order (one conditional UPDATE, so two
residents racing for the last time cannot both get it), and the time given back when the
order is withdrawn or rejected."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.database import utcnow
from volunteer_app.localtime import utc_to_local
from volunteer_app.needs import menu, rules, services
from volunteer_app.needs.menu_rules import MenuError
from volunteer_app.needs.models import Need, ServiceItem
from volunteer_app.needs.models import NeedStatus as S
from volunteer_app.needs.rules import Step
from volunteer_app.needs.services import Actor
from volunteer_app.stations.models import UnitLevel


def fields(now, **changes):
    today = utc_to_local(now).date()
    values = {"contact_name": "张桂芝", "contact_phone": "13800001234", "title": "上门测血压"}
    return rules.validate_order(today=today, **(values | changes))


@pytest.fixture
def network(make, db):
    """A centre with two stations, the centre's organizer, the clinic's team at a station."""
    centre = make.unit(level=UnitLevel.CENTRE)
    clinic, school = make.unit(parent=centre), make.unit(parent=centre)
    organizer = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
    team = make.team(clinic, name="卫生院医护志愿服务队")
    db.session.commit()
    return centre, clinic, school, organizer, team


def add(make, organizer, unit, team, remaining=1, **changes):
    values = {
        "team_id": team.id,
        "category_id": make.category().id,
        "title": "上门测血压",
        "audience": "03",
        "remaining": remaining,
    }
    return menu.create_item(organizer, unit, **(values | changes), now=utcnow())


def test_an_item_of_the_centre_by_a_stations_team_is_audited(app, make, db, network):
    centre, _clinic, _school, organizer, team = network
    item = add(make, organizer, centre, team, remaining=3)
    assert (item.unit_id, item.team_id, item.remaining, item.withdrawn_at) == (
        centre.id,
        team.id,
        3,
        None,
    )
    menu.update_item(
        organizer,
        item,
        centre,
        team_id=team.id,
        category_id=item.category_id,
        title="上门测血压、血糖",
        audience="03",
        remaining=3,
        now=utcnow(),
    )
    menu.withdraw_item(organizer, item, now=utcnow())
    menu.withdraw_item(organizer, item, now=utcnow())  # again: nothing more
    menu.restore_item(organizer, item, now=utcnow())
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == [
        "menu.create",
        "menu.update",
        "menu.withdraw",
        "menu.restore",
    ]
    assert entries[1].old_value == {"item_id": item.id, "title": "上门测血压"}
    assert entries[1].new_value == {"item_id": item.id, "title": "上门测血压、血糖"}
    assert all(e.actor_user_id == organizer.id for e in entries)


def test_a_team_out_of_reach_or_disabled_is_refused(app, make, db, network):
    centre, clinic, school, organizer, team = network
    elsewhere = make.team(make.unit(), name="别的中心的队伍")
    with pytest.raises(MenuError) as raised:
        add(make, organizer, centre, elsewhere)
    assert raised.value.problems["team"].code == "team_required"  # not even named
    with pytest.raises(MenuError) as raised:  # a sibling station's team
        add(make, make.user(unit=school), school, team)
    assert raised.value.code == "team_required"
    station_organizer = make.user(unit=clinic)
    with pytest.raises(MenuError) as raised:  # the clinic's team for the school's menu
        add(make, organizer, school, team)
    assert raised.value.code == "team_out_of_reach"
    add(make, station_organizer, clinic, team)  # the station's own team: fine
    team.disabled_at = utcnow()
    with pytest.raises(MenuError) as raised:
        add(make, organizer, centre, team)
    assert raised.value.code == "team_inactive"
    assert db.session.scalar(select(func.count()).select_from(ServiceItem)) == 1


def test_an_order_from_the_menu_takes_a_time_and_the_last_one_is_fully_booked(
    app, make, db, network
):
    centre, clinic, school, organizer, team = network
    item = add(make, organizer, centre, team, remaining=1)
    now = utcnow()
    need = services.submit(
        school, fields(now), category_id=item.category_id, menu_item=item, now=now
    )
    assert need.menu_item_id == item.id and item.remaining == 0
    with pytest.raises(MenuError) as raised:
        services.submit(clinic, fields(now), category_id=item.category_id, menu_item=item, now=now)
    assert (raised.value.code, raised.value.status) == ("fully_booked", 409)
    assert db.session.scalar(select(func.count()).select_from(Need)) == 1


def test_an_unlimited_item_stays_unlimited_and_a_withdrawn_one_cannot_be_booked(
    app, make, db, network
):
    centre, clinic, _school, organizer, team = network
    item = add(make, organizer, centre, team, remaining=None)
    now = utcnow()
    for _ in range(3):
        services.submit(clinic, fields(now), category_id=item.category_id, menu_item=item, now=now)
    assert item.remaining is None
    menu.withdraw_item(organizer, item, now=now)
    with pytest.raises(MenuError) as raised:
        services.submit(clinic, fields(now), category_id=item.category_id, menu_item=item, now=now)
    assert raised.value.code == "withdrawn"


def test_an_item_of_another_centre_is_not_offered_at_the_station(app, make, db, network):
    centre, _clinic, _school, organizer, team = network
    item = add(make, organizer, centre, team)
    elsewhere = make.unit()
    with pytest.raises(MenuError) as raised:
        services.submit(
            elsewhere, fields(utcnow()), category_id=item.category_id, menu_item=item, now=utcnow()
        )
    assert raised.value.code == "not_here" and item.remaining == 1


@pytest.mark.parametrize("step", [Step.WITHDRAW, Step.REJECT])
def test_a_withdrawn_or_rejected_order_gives_its_time_back(app, make, db, network, step):
    centre, clinic, _school, organizer, team = network
    item = add(make, organizer, centre, team, remaining=1)
    now = utcnow()
    need = services.submit(
        clinic, fields(now), category_id=item.category_id, menu_item=item, now=now
    )
    assert item.remaining == 0
    actor = Actor.resident() if step == Step.WITHDRAW else Actor.organizer(organizer)
    services.take_step(need, step, actor, note="不在服务范围", now=now)
    assert item.remaining == 1
    # an order's other steps keep its time; an unlimited item has nothing to give back
    kept = services.submit(
        clinic, fields(now), category_id=item.category_id, menu_item=item, now=now
    )
    services.take_step(kept, Step.ACCEPT, Actor.organizer(organizer), now=now)
    assert item.remaining == 0
    open_item = add(make, organizer, centre, team, remaining=None, title="代购药品")
    other = services.submit(
        clinic, fields(now), category_id=item.category_id, menu_item=open_item, now=now
    )
    services.take_step(other, Step.WITHDRAW, Actor.resident(), now=now)
    assert open_item.remaining is None


def ordering(app, station_id: int, item_id: int, phone: str):
    """An actor: a resident orders the menu item, as the order form's request runs it."""
    from volunteer_app.extensions import db as _db
    from volunteer_app.stations.models import Unit

    def run(go):
        with app.test_request_context("/needs/new", method="POST"):
            go()
            station = _db.session.get(Unit, station_id)
            item = _db.session.get(ServiceItem, item_id)
            now = utcnow()
            try:
                services.submit(
                    station,
                    fields(now, contact_phone=phone),
                    category_id=item.category_id,
                    menu_item=item,
                    now=now,
                )
            except MenuError as error:
                _db.session.rollback()
                return error.code
            _db.session.commit()
            return "booked"

    return run


def test_two_residents_racing_for_the_last_time_make_one_order(app, make, db, network):
    """One held just before its first write (on PostgreSQL, the conditional UPDATE, after it
    read one time left); the other books the last time meanwhile: the held one is told it is
    fully booked, and there is one order. A read-modify-write would give both an order."""
    from ..races import Race

    centre, clinic, school, organizer, team = network
    item = add(make, organizer, centre, team, remaining=1)
    db.session.commit()
    race = Race(app, db)
    race.actor("a", ordering(app, clinic.id, item.id, "13800001111"))
    race.actor("b", ordering(app, school.id, item.id, "13800002222"))
    results = race.run(hold="a")
    assert sorted(results.values()) == ["booked", "fully_booked"]
    db.session.expire_all()
    assert db.session.get(ServiceItem, item.id).remaining == 0
    assert db.session.scalar(select(func.count()).select_from(Need)) == 1
    assert db.session.scalar(select(Need.menu_item_id)) == item.id


@pytest.mark.postgresql_only
def test_many_residents_at_once_take_exactly_the_times_left(app, make, db, network):
    """Five residents for three times left, all at once, none held: PostgreSQL's row lock
    queues the UPDATEs, and each finds what the one before it left."""
    from ..races import Race

    centre, clinic, _school, organizer, team = network
    item = add(make, organizer, centre, team, remaining=3)
    db.session.commit()
    race = Race(app, db)
    for n in range(5):
        race.actor(f"r{n}", ordering(app, clinic.id, item.id, f"1380000{n:04d}"))
    results = race.run()
    assert sorted(results.values()) == ["booked"] * 3 + ["fully_booked"] * 2
    db.session.expire_all()
    assert db.session.get(ServiceItem, item.id).remaining == 0
    assert db.session.scalar(select(func.count()).select_from(Need)) == 3
    assert S.SUBMITTED in set(db.session.scalars(select(Need.status)))
