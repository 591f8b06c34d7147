"""A walk-in with a number already registered: the exact name or the number's own PIN,
otherwise one neutral refusal that names nobody and writes nothing (issue 14, point 1)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.volunteers.models import PinThrottle, Volunteer

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin

NEUTRAL = "此号码已登记。请本人用自己的手机扫码签到，或在此输入本人的密码。"


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def walk_in(client, activity, **fields):
    token = csrf_token(client, f"/activities/{activity.id}/checkin")
    data = {"csrf_token": token, "consent": "y", "check_in_now": "y", **fields}
    return client.post(f"/activities/{activity.id}/walk-in", data=data)


def elsewhere(make):
    """李秀英, with a PIN, registered at another centre's station."""
    other_station = make.unit()
    return with_pin(
        make.volunteer("李秀英", phone="13812341234", registered_unit_id=other_station.id)
    )


def test_a_known_number_with_a_wrong_name_reveals_nothing_and_writes_nothing(
    client, db, make, login_as
):
    owner = elsewhere(make)
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    before = (count(db, Volunteer), count(db, CheckIn), count(db, AuditEntry))
    response = walk_in(client, activity, name="冒名者", phone="138 1234 1234")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and NEUTRAL in html
    assert "李秀英" not in html and 'name="pin"' in html
    assert (count(db, Volunteer), count(db, CheckIn), count(db, AuditEntry)) == before
    assert count(db, PinThrottle) == 0
    db.session.expire_all()
    assert db.session.get(Volunteer, owner.id).registered_unit_id == owner.registered_unit_id


def test_the_exact_name_checks_in_ones_own_volunteer_and_someone_elses_only_with_the_pin(
    client, db, make, login_as
):
    owner = elsewhere(make)
    unit_before = owner.registered_unit_id
    activity = make.activity()
    user = login_as(make.user(unit=activity.unit))
    mine = make.volunteer("王建国", phone="13900000001", registered_unit_id=activity.unit_id)
    db.session.commit()
    assert walk_in(client, activity, name="王建国", phone="13900000001").status_code == 302
    assert db.session.scalar(select(CheckIn)).volunteer_id == mine.id
    # A name and a number are no proof for someone who is not this organizer's: a list of
    # both is easily had, and the answer would confirm the pair.
    refused = walk_in(client, activity, name="李秀英", phone="13812341234")
    assert refused.status_code == 409 and count(db, CheckIn) == 1
    response = walk_in(client, activity, name="李秀英", phone="13812341234", pin=PIN)
    assert response.status_code == 302
    record = db.session.scalar(select(CheckIn).where(CheckIn.volunteer_id == owner.id))
    assert record.volunteer_id == owner.id and record.origin == HoursOrigin.ORGANIZER
    assert record.self_made is False and record.recorded_by_id == user.id
    db.session.expire_all()
    person = db.session.get(Volunteer, owner.id)
    assert person.registered_unit_id == unit_before and person.registered_by_id is None
    assert count(db, Volunteer) == 2


def test_the_numbers_own_pin_adds_a_child_to_that_household(client, db, make, login_as):
    owner = elsewhere(make)
    activity = make.activity()
    user = login_as(make.user(unit=activity.unit))
    db.session.commit()
    response = walk_in(client, activity, name="李小明", phone="13812341234", pin=PIN)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已把李小明加到这个号码下" in html
    child = db.session.scalar(select(Volunteer).where(Volunteer.name == "李小明"))
    assert child.household_id == owner.household_id
    assert child.registered_unit_id == activity.unit_id and child.registered_by_id == user.id
    record = db.session.scalar(select(CheckIn))
    assert record.volunteer_id == child.id and record.self_made is False
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "volunteer.member_added")
    )
    assert entry.actor_user_id == user.id and entry.volunteer_id == child.id
    assert entry.new_value == {"via": "desk_pin", "station": activity.unit.name}
    db.session.expire_all()
    assert db.session.get(Volunteer, owner.id).registered_by_id is None


def test_wrong_pins_at_the_desk_count_on_the_numbers_lockout(client, db, make, login_as, app):
    elsewhere(make)
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    for guess in ("1111", "2222", "3333", "4444", "5555"):
        response = walk_in(client, activity, name="李小明", phone="13812341234", pin=guess)
        assert response.status_code == 401 and "密码不正确" in response.get_data(as_text=True)
        assert "李秀英" not in response.get_data(as_text=True)
    locked = walk_in(client, activity, name="李小明", phone="13812341234", pin=PIN)
    assert locked.status_code == 429
    assert sign_in(app.test_client(), "13812341234", PIN).status_code == 429
    assert count(db, CheckIn) == 0 and count(db, Volunteer) == 1


def test_a_number_without_pin_cannot_be_joined_with_any_pin(client, db, make, login_as):
    make.volunteer("王建国", phone="13800001002")  # registered by others, no PIN
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    no_pin = walk_in(client, activity, name="王小明", phone="13800001002", pin="2580")
    assert no_pin.status_code == 401 and "王建国" not in no_pin.get_data(as_text=True)
    assert count(db, Volunteer) == 1 and count(db, CheckIn) == 0


def test_two_desks_adding_the_same_child_at_once_make_one_person_and_one_record(app, db, make):
    from ..races import Race
    from .test_races import organizer

    owner = elsewhere(make)
    activity = make.activity()
    first_desk, second_desk = make.user(unit=activity.unit), make.user(unit=activity.unit)
    db.session.commit()
    # Plain values for the actors' threads: the test's own session objects stay here.
    first_desk, second_desk = (
        SimpleNamespace(username=u.username) for u in (first_desk, second_desk)
    )
    activity = SimpleNamespace(id=activity.id)
    race = Race(app, db)

    def desk(user):
        def act(go):
            client = organizer(app, user)
            token = csrf_token(client, f"/activities/{activity.id}/checkin")
            go()
            data = {
                "csrf_token": token,
                "consent": "y",
                "check_in_now": "y",
                "name": "李小明",
                "phone": "13812341234",
                "pin": PIN,
            }
            return client.post(f"/activities/{activity.id}/walk-in", data=data).status_code

        return act

    race.actor("first", desk(first_desk))
    race.actor("second", desk(second_desk))
    assert race.run(hold="first") == {"first": 302, "second": 302}
    children = db.session.scalars(select(Volunteer).where(Volunteer.name == "李小明")).all()
    assert len(children) == 1 and children[0].household_id == owner.household_id
    assert count(db, CheckIn) == 1
    (added,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "volunteer.member_added")
    ).all()
    assert added.volunteer_id == children[0].id
