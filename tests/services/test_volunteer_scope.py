"""Who is whose: the one definition of the volunteers an organizer may see and act for."""

from __future__ import annotations

from sqlalchemy import select

from volunteer_app.activities.models import Signup
from volunteer_app.auth import scoping
from volunteer_app.auth.models import Role
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel


def seen(db, user) -> set[str]:
    return set(db.session.scalars(select_names(user)))


def select_names(user):
    from volunteer_app.volunteers.models import Volunteer

    return select(Volunteer.name).where(Volunteer.id.in_(scoping.visible_volunteer_ids(user)))


def test_an_organizer_sees_who_registered_or_came_themselves_never_who_they_attached(db, make):
    district = make.unit(level=UnitLevel.DISTRICT)
    wanfu = make.unit("万福", level=UnitLevel.CENTRE, parent=district)
    lvling = make.unit("吕陵", level=UnitLevel.CENTRE, parent=district)
    station = make.unit("万福一站", parent=wanfu)
    ours, theirs = make.activity(station), make.activity(lvling)
    registered = make.volunteer("本站登记", registered_unit_id=station.id)
    scanned = make.volunteer("自己扫码", registered_unit_id=lvling.id)
    signed_up = make.volunteer("自己报名", registered_unit_id=lvling.id)
    attached = make.volunteer("被代签", registered_unit_id=lvling.id)
    make.volunteer("别处的人", registered_unit_id=lvling.id)
    gone = make.volunteer("已注销", registered_unit_id=station.id)
    gone.deleted_at = utcnow()
    now = utcnow()
    db.session.add_all(
        [
            CheckIn(activity=ours, volunteer=scanned, checked_in_at=now, self_made=True),
            CheckIn(
                activity=ours,
                volunteer=attached,
                checked_in_at=now,
                origin=HoursOrigin.ORGANIZER,
                self_made=False,
            ),
            CheckIn(activity=theirs, volunteer=attached, checked_in_at=now, self_made=True),
            Signup(activity_id=ours.id, volunteer_id=signed_up.id, created_at=now),
        ]
    )
    db.session.flush()

    centre = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    at_station = make.user(unit=station)
    other = make.user(role=Role.CENTRE_ORGANIZER, unit=lvling)
    admin = make.user(role=Role.DISTRICT_ADMIN, unit=district)
    mine = {"本站登记", "自己扫码", "自己报名"}
    assert seen(db, centre) == seen(db, at_station) == mine
    assert seen(db, other) == {"自己扫码", "自己报名", "被代签", "别处的人"}
    assert seen(db, admin) == mine | {"被代签", "别处的人"}
    assert scoping.may_act_for(at_station, registered)
    assert not scoping.may_act_for(at_station, attached)
    assert scoping.volunteer_in_scope(at_station, gone.id) is None

    # Another district of the same instance (a city's): none of these are its admin's, and
    # its own people are not this district's.
    elsewhere = make.unit("菏泽开发区", level=UnitLevel.DISTRICT)
    make.volunteer(
        "别区的人",
        registered_unit_id=make.unit(parent=make.unit(level=UnitLevel.CENTRE, parent=elsewhere)).id,
    )
    other_admin = make.user(role=Role.DISTRICT_ADMIN, unit=elsewhere)
    assert seen(db, other_admin) == {"别区的人"}
    assert "别区的人" not in seen(db, admin)
    assert not scoping.may_act_for(other_admin, registered)
