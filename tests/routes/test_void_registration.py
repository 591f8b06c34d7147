"""Voiding a registration made by mistake (/volunteers/<id>/void): a test person or a
mistyped walk-in is erased as a deletion erases, its records voided and kept; a person who
used their account, or has records at others' units, is refused and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import INCLUDE_VOIDED, CheckIn
from volunteer_app.checkins.voids import VoidError, validate_void_registration
from volunteer_app.stations.models import UnitLevel
from volunteer_app.volunteers.models import Household, Volunteer

from ..conftest import csrf_token
from .test_identity import with_pin


def walk_in(make, organizer, activity, name="测试人员", phone="13700001111"):
    volunteer = make.volunteer(
        name, phone=phone, registered_by_id=organizer.id, registered_unit_id=activity.unit_id
    )
    checkins.check_in(activity, volunteer, now=activity.starts_at)
    return volunteer


def void(client, volunteer, **data):
    url = f"/volunteers/{volunteer.id}/void"
    token = csrf_token(client, url)
    form = {"csrf_token": token, "reason": "设置时的测试登记", "confirm": "y"} | data
    return client.post(url, data=form)


def test_a_test_registration_is_erased_and_its_records_voided(app, client, make, db, login_as):
    station = make.unit()
    organizer = make.user(unit=station)
    activity = make.activity(station)
    person = walk_in(make, organizer, activity)
    db.session.commit()
    login_as(organizer)
    response = void(client, person)
    assert response.status_code == 302 and response.headers["Location"].endswith("/volunteers")
    db.session.expire_all()
    erased = db.session.get(Volunteer, person.id)
    assert erased.deleted_at is not None and erased.name != "测试人员"
    assert db.session.scalar(select(Household).where(Household.phone == "13700001111")) is None
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0  # counts nowhere
    [record] = db.session.scalars(select(CheckIn).execution_options(**{INCLUDE_VOIDED: True}))
    assert record.voided_at is not None and record.void_reason == "设置时的测试登记"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["volunteer.void_registration", "checkin.void"]
    # the number is free for its owner
    assert make.volunteer("真正的机主", phone="13700001111").id != person.id


def test_a_person_who_used_their_account_is_refused(app, client, make, db, login_as):
    station = make.unit()
    organizer = make.user(unit=station)
    activity = make.activity(station)
    person = with_pin(walk_in(make, organizer, activity))
    db.session.commit()
    login_as(organizer)
    response = void(client, person)
    assert response.status_code == 400
    assert "此人已使用过账号" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Volunteer, person.id).deleted_at is None
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_the_form_needs_a_reason_and_the_tick(app, client, make, db, login_as):
    station = make.unit()
    organizer = make.user(unit=station)
    person = walk_in(make, organizer, make.activity(station))
    db.session.commit()
    login_as(organizer)
    assert void(client, person, reason="").status_code == 400
    assert void(client, person, confirm="").status_code == 400
    db.session.expire_all()
    assert db.session.get(Volunteer, person.id).deleted_at is None


def test_records_at_another_centres_activity_keep_the_person(app, client, make, db, login_as):
    district = make.unit(level=UnitLevel.DISTRICT)
    centre = make.unit(level=UnitLevel.CENTRE, parent=district)
    station = make.unit(parent=centre)
    elsewhere = make.unit(parent=make.unit(level=UnitLevel.CENTRE, parent=district))
    organizer = make.user(unit=station)
    person = walk_in(make, organizer, make.activity(station))
    other = make.activity(elsewhere, starts_at=make.activity(station).starts_at.replace(year=2020))
    db.session.add(
        CheckIn(activity=other, volunteer=person, checked_in_at=other.starts_at, minutes=0)
    )
    db.session.commit()
    login_as(organizer)
    assert void(client, person).status_code == 400
    db.session.expire_all()
    assert db.session.get(Volunteer, person.id).deleted_at is None


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (dict(registered_by_organizer=False), "not_a_walk_in"),
        (dict(has_pin=True), "claimed"),
        (dict(has_devices=True), "claimed"),
        (dict(records_elsewhere=True), "records_elsewhere"),
    ],
)
def test_the_rule(facts, code):
    base = dict(
        registered_by_organizer=True, has_pin=False, has_devices=False, records_elsewhere=False
    )
    validate_void_registration(**base)
    with pytest.raises(VoidError) as raised:
        validate_void_registration(**(base | facts))
    assert raised.value.code == code
