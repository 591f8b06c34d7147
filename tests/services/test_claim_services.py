"""Claims, one-time codes and walk-ins as plain functions against the database (issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app import sms
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.auth.scoping import volunteer_in_scope
from volunteer_app.checkins import organizer
from volunteer_app.checkins.organizer import WalkInError
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel
from volunteer_app.volunteers import identity
from volunteer_app.volunteers.models import Device, PinThrottle, Volunteer
from volunteer_app.volunteers.rules import IdentityError, SetupCodeError
from volunteer_app.volunteers.services import remember_device

PIN = "2580"


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def with_pin(volunteer, *, now=None):
    identity.set_pin(volunteer, new_pin=PIN, confirm=PIN, current_pin=None, now=now or utcnow())
    return volunteer


def test_walk_in_with_a_known_number(db, make):
    owner = with_pin(make.volunteer("李秀英", phone="13812341234"))
    activity = make.activity()
    user = make.user(unit=activity.unit)
    now = utcnow()
    before = (count(db, Volunteer), count(db, AuditEntry))
    with pytest.raises(WalkInError) as refused:
        organizer.register_walk_in(activity, user, name="冒名者", phone="13812341234", now=now)
    assert refused.value.code == "number_taken" and "李秀英" not in str(refused.value.message)
    assert (count(db, Volunteer), count(db, AuditEntry)) == before

    # Her exact name is no proof: she is not this organizer's.
    with pytest.raises(WalkInError) as named:
        organizer.register_walk_in(activity, user, name="李秀英", phone="13812341234", now=now)
    assert named.value.code == "number_taken"
    known = organizer.register_walk_in(
        activity, user, name="李秀英", phone="13812341234", pin=PIN, now=now
    )
    assert known.volunteer.id == owner.id and known.how == "known"
    assert owner.registered_by_id is None and owner.registered_unit_id is None

    with pytest.raises(IdentityError) as wrong:
        organizer.register_walk_in(
            activity, user, name="李小明", phone="13812341234", pin="1111", now=now
        )
    assert wrong.value.code == "desk_pin_wrong"
    db.session.commit()
    assert db.session.scalar(select(PinThrottle.failures)) == 1

    added = organizer.register_walk_in(
        activity, user, name="李小明", phone="13812341234", pin=PIN, now=now
    )
    assert added.how == "added" and added.volunteer.household_id == owner.household_id
    assert added.volunteer.registered_by_id == user.id
    assert volunteer_in_scope(user, added.volunteer.id) is not None
    assert volunteer_in_scope(user, owner.id) is None  # the walk-in widened nothing


def test_giving_a_code_follows_the_reset_rule(db, make):
    centre = make.unit(level=UnitLevel.CENTRE)
    station = make.unit(parent=centre)
    station_organizer = make.user(unit=station)
    centre_organizer = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
    now = utcnow()
    volunteer = make.volunteer(phone="13800001002", registered_unit_id=station.id)
    assert identity.give_setup_code(station_organizer, volunteer, now=now)  # no PIN yet
    with_pin(volunteer, now=now - timedelta(days=31))
    with pytest.raises(SetupCodeError):
        identity.give_setup_code(station_organizer, volunteer, now=now)
    code = identity.give_setup_code(centre_organizer, volunteer, now=now)
    issued = db.session.scalars(
        select(AuditEntry.new_value).where(AuditEntry.action == "volunteer.setup_code_issued")
    ).all()
    assert issued == [
        {"via": "station", "station": station.name, "reset": False},
        {"via": "station", "station": centre.name, "reset": True},
    ]
    household, used = identity.authenticate("13800001002", code, now=now)
    assert used and household.pin_hash is None


def test_no_pin_yet_is_its_own_answer_and_is_counted(db, make):
    make.volunteer(phone="13800001002")
    with pytest.raises(IdentityError) as caught:
        identity.authenticate("13800001002", "2580", now=utcnow())
    assert caught.value.code == "no_pin" and caught.value.status == 401
    db.session.commit()
    assert db.session.scalar(select(PinThrottle.failures)) == 1
    with pytest.raises(IdentityError) as unknown:
        identity.authenticate("13712345678", "2580", now=utcnow())
    assert unknown.value.code == "mismatch"


def test_the_sms_code_goes_only_to_numbers_without_a_pin(db, make, app):
    gateway = sms.LoggingGateway()
    volunteer = make.volunteer(phone="13800001002")
    with_pin(make.volunteer(phone="13812341234"))
    now = utcnow()
    for phone in ("13812341234", "13712345678"):
        identity.send_claim_code(phone, now=now, gateway=gateway)
    assert gateway.outbox == []
    identity.send_claim_code("13800001002", now=now, gateway=gateway)
    (message,) = gateway.outbox
    code = re.search(r"\d{8}", message.text)[0]
    assert volunteer.household.setup_code_expires_at == now + timedelta(minutes=30)
    household, used = identity.authenticate("13800001002", code, now=now)
    assert used and household.id == volunteer.household_id
    used_entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "volunteer.setup_code_used")
    )
    assert used_entry.new_value == {"via": "sms", "reset": False}


def test_the_backend_is_chosen_by_config(app):
    app.config["SMS_BACKEND"] = ""
    assert sms.gateway() is None
    app.config["SMS_BACKEND"] = "log"
    assert isinstance(sms.gateway(), sms.LoggingGateway) and sms.gateway() is sms.gateway()


def test_a_signed_out_device_learns_of_the_reset(db, make):
    volunteer = with_pin(make.volunteer(phone="13800001002"))
    station_organizer = make.user()
    now = utcnow()
    old = remember_device(volunteer, user_agent="", now=now - timedelta(days=2))
    assert identity.reset_notice(old.key) is None  # signed in
    code = identity.issue_setup_code(volunteer, organizer_id=station_organizer.id, now=now)
    identity.authenticate("13800001002", code, now=now)
    notice = identity.reset_notice(old.key)
    assert notice.station == station_organizer.unit.name and notice.via == "station"
    assert notice.at == now
    assert identity.reset_notice("no-such-key") is None
    later = remember_device(volunteer, user_agent="", now=now + timedelta(minutes=1))
    later.revoked_at = now + timedelta(minutes=2)
    db.session.flush()
    assert identity.reset_notice(later.key) is None  # signed in after the reset
    assert db.session.get(Device, old.id).revoked_at == now
