"""Identity services against the database: throttle rows, one-time codes, registration races."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from volunteer_app.database import utcnow
from volunteer_app.volunteers import identity
from volunteer_app.volunteers.models import PinThrottle, Volunteer
from volunteer_app.volunteers.rules import IdentityError


def test_failures_are_counted_per_number_and_reset_by_success(app, db, make):
    make.volunteer(phone="13812341234")
    now = utcnow()
    volunteer = db.session.scalar(select(Volunteer))
    identity.set_pin(volunteer, new_pin="2580", confirm="2580", current_pin=None, now=now)
    for _ in range(3):
        with pytest.raises(IdentityError):
            identity.authenticate("13812341234", "1111", now=now)
    db.session.commit()  # failures are counted in transactions of their own: read afresh
    assert db.session.scalar(select(PinThrottle.failures)) == 3
    found, used_code = identity.authenticate("13812341234", "2580", now=now)
    assert found.id == volunteer.household_id and used_code is False
    assert db.session.scalar(select(PinThrottle.failures)) == 0


def test_one_time_code_clears_the_old_pin_and_works_once(app, db, make):
    volunteer = make.volunteer(phone="13812341234")
    organizer = make.user()
    now = utcnow()
    identity.set_pin(volunteer, new_pin="2580", confirm="2580", current_pin=None, now=now)
    code = identity.issue_setup_code(volunteer, organizer_id=organizer.id, now=now)
    assert len(code) == 8 and code.isdigit()
    found, used_code = identity.authenticate("13812341234", code, now=now + timedelta(minutes=29))
    assert used_code is True and found.pin_hash is None and found.setup_code_hash is None
    with pytest.raises(IdentityError):
        identity.authenticate("13812341234", code, now=now + timedelta(minutes=29))


def test_registration_of_a_taken_number_falls_back_to_the_pin_check(app, db, make):
    owner = make.volunteer(phone="13812341234")
    identity.set_pin(owner, new_pin="2580", confirm="2580", current_pin=None, now=utcnow())
    with pytest.raises(IdentityError) as caught:
        identity.sign_in_or_register(
            name="冒名者",
            phone="13812341234",
            pin="9753",
            consent=True,
            now=utcnow(),
            consent_version="t",
        )
    assert caught.value.code == "mismatch"
    assert db.session.get(Volunteer, owner.id).name == "李秀英"


def test_devices_revoke_only_their_own(app, db, make):
    from volunteer_app.volunteers.services import remember_device

    mine, theirs = make.volunteer(), make.volunteer()
    device = remember_device(theirs, user_agent="x", now=utcnow())
    assert identity.revoke_device(mine, device.id, now=utcnow()) is None
    assert device.revoked_at is None
    assert identity.revoke_device(theirs, device.id, now=utcnow()) is device
    assert device.revoked_at is not None
