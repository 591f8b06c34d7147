"""A phone is a contact, not a person: a household of several people on one number and PIN.

Each person keeps their own name, hours and records; whoever holds the phone (its PIN or a
remembered device) manages its people and checks one or several of them in with one scan.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.volunteers.models import Device, Household, Volunteer

from ..conftest import csrf_token
from .test_identity import PIN, scan_new_device, sign_in, with_pin

PHONE = "13812341234"


def scan_path(app, activity) -> str:
    return "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def people_ids(html: str) -> list[int]:
    """The ids of the household's people the scan page offers to tick."""
    return [int(i) for i in re.findall(r'name="people" value="(\d+)"', html)]


def family(make, db):
    """A mother with a PIN and her two children on one phone; and a running activity."""
    mother = with_pin(make.volunteer("赵丽", phone=PHONE))
    son = make.volunteer("赵小宇", phone=PHONE, is_minor=True)
    daughter = make.volunteer("赵小雨", phone=PHONE, is_minor=True)
    activity = make.activity()
    db.session.commit()
    return mother, son, daughter, activity


def test_a_second_child_on_a_parents_number_is_a_new_person_not_the_first(app, db, client, make):
    mother = with_pin(make.volunteer("赵丽", phone=PHONE))
    activity = make.activity()
    db.session.commit()
    response = scan_new_device(
        client, app, activity, name="赵小宇", phone=PHONE, pin=PIN, consent="y", minor="y"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "签到成功" in html and "赵小宇" in html
    child = db.session.scalar(select(Volunteer).where(Volunteer.name == "赵小宇"))
    assert child.id != mother.id and child.household_id == mother.household_id
    assert child.is_minor and child.guardian_consented_at is not None
    assert db.session.scalar(select(CheckIn.volunteer_id)) == child.id  # not the mother
    assert count(db, Household) == 1


def test_a_new_name_on_a_known_number_still_needs_the_pin(app, db, client, make):
    with_pin(make.volunteer("赵丽", phone=PHONE))
    activity = make.activity()
    db.session.commit()
    response = scan_new_device(
        client, app, activity, name="冒名者", phone=PHONE, pin="1357", consent="y"
    )
    assert response.status_code == 401
    assert count(db, Volunteer) == 1 and count(db, CheckIn) == 0


def test_the_parent_keeps_her_own_number_after_registering_a_child(app, db, client, make):
    mother = with_pin(make.volunteer("赵丽", phone=PHONE))
    activity = make.activity()
    db.session.commit()
    scan_new_device(client, app, activity, name="赵小宇", phone=PHONE, pin=PIN, consent="y")
    other_phone = app.test_client()
    response = scan_new_device(other_phone, app, activity, name="赵丽", phone=PHONE, pin=PIN)
    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)
    assert {r.volunteer_id for r in db.session.scalars(select(CheckIn))} == {
        mother.id,
        db.session.scalar(select(Volunteer.id).where(Volunteer.name == "赵小宇")),
    }


def test_a_remembered_phone_checks_in_the_ticked_people_of_its_household(app, db, client, make):
    mother, son, daughter, activity = family(make, db)
    assert sign_in(client, PHONE, PIN).status_code == 302
    path = scan_path(app, activity)
    html = client.get(path).get_data(as_text=True)
    assert sorted(people_ids(html)) == sorted([mother.id, son.id, daughter.id])
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={"csrf_token": token, "action": "check_in", "people": [str(son.id), str(daughter.id)]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "已签到 2 人" in html
    assert "赵小宇" in html and "赵小雨" in html
    recorded = {r.volunteer_id for r in db.session.scalars(select(CheckIn))}
    assert recorded == {son.id, daughter.id}
    assert all(r.self_made for r in db.session.scalars(select(CheckIn)))
    # Next scan: the children are offered check-out, the mother check-in.
    html = client.get(path).get_data(as_text=True)
    assert "谁要签退" in html and "谁要签到" in html


def test_a_phone_cannot_tick_people_of_another_household(app, db, client, make):
    _mother, son, _daughter, activity = family(make, db)
    stranger = make.volunteer("外人", phone="13900000001")
    db.session.commit()
    assert sign_in(client, PHONE, PIN).status_code == 302
    path = scan_path(app, activity)
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={"csrf_token": token, "action": "check_in", "people": [str(son.id), str(stranger.id)]},
    )
    assert response.status_code == 400
    assert count(db, CheckIn) == 0


def test_signing_in_a_shared_phone_without_a_name_asks_who_is_here(app, db, client, make):
    _mother, son, _daughter, activity = family(make, db)
    response = scan_new_device(client, app, activity, phone=PHONE, pin=PIN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "多位志愿者" in html
    assert count(db, CheckIn) == 0 and count(db, Device) == 1
    assert len(people_ids(html)) == 3
    path = scan_path(app, activity)
    token = csrf_token(client, path)
    client.post(path, data={"csrf_token": token, "action": "check_in", "people": [str(son.id)]})
    assert db.session.scalar(select(CheckIn.volunteer_id)) == son.id


def test_each_person_has_their_own_page_and_the_phone_switches_between_them(app, db, client, make):
    mother, son, _daughter, activity = family(make, db)
    from volunteer_app.checkins import services as checkins

    checkins.check_in(activity, son, now=activity.starts_at)
    db.session.commit()
    assert sign_in(client, PHONE, PIN).status_code == 302
    page = client.get("/me").get_data(as_text=True)
    assert "此手机上的志愿者" in page and "赵小宇" in page
    token = csrf_token(client, "/me")
    response = client.post(f"/me/people/{son.id}", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get("/me").get_data(as_text=True)
    assert "<h1>赵小宇</h1>" in page and activity.title in page
    device = db.session.scalar(select(Device))
    assert device.volunteer_id == son.id
    # Another household's person is not one to switch to.
    stranger = make.volunteer("外人", phone="13900000001")
    db.session.commit()
    assert client.post(f"/me/people/{stranger.id}", data={"csrf_token": token}).status_code == 404
    assert mother.id != son.id


def test_adding_a_family_member_needs_consent_and_records_a_minor(app, db, client, make):
    with_pin(make.volunteer("赵丽", phone=PHONE))
    db.session.commit()
    assert sign_in(client, PHONE, PIN).status_code == 302
    token = csrf_token(client, "/me")
    refused = client.post("/me/people", data={"csrf_token": token, "name": "赵小宇", "minor": "y"})
    assert count(db, Volunteer) == 1  # no consent: nobody added
    # the message beside the consent box, in the opened form, what was typed kept; no flash
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "<details open>" in html and 'value="赵小宇"' in html
    assert 'aria-describedby="consent-error"' in html and 'id="consent-error"' in html
    assert "flash-error" not in html
    response = client.post(
        "/me/people", data={"csrf_token": token, "name": "赵小宇", "minor": "y", "consent": "y"}
    )
    assert response.status_code == 302
    child = db.session.scalar(select(Volunteer).where(Volunteer.name == "赵小宇"))
    assert child.is_minor and child.guardian_consented_at is not None
    # The same name twice is the same person, not a second one.
    client.post("/me/people", data={"csrf_token": token, "name": "赵小宇", "consent": "y"})
    assert count(db, Volunteer) == 2


def test_changing_the_pin_signs_out_the_households_other_devices(app, db, client, make):
    family(make, db)
    other = app.test_client()
    assert sign_in(other, PHONE, PIN).status_code == 302
    assert sign_in(client, PHONE, PIN).status_code == 302
    token = csrf_token(client, "/me/pin")
    response = client.post(
        "/me/pin",
        data={"csrf_token": token, "current_pin": PIN, "new_pin": "8264", "confirm": "8264"},
    )
    assert response.status_code == 302
    assert other.get("/me").status_code == 302  # signed out: back to sign-in
    assert client.get("/me").status_code == 200  # the device that changed it stays


def test_deleting_one_person_keeps_the_phone_for_the_others(app, db, client, make):
    mother, son, daughter, _activity = family(make, db)
    assert sign_in(client, PHONE, PIN).status_code == 302
    token = csrf_token(client, "/me")
    client.post(f"/me/people/{son.id}", data={"csrf_token": token})
    token = csrf_token(client, "/me/delete")
    response = client.post("/me/delete", data={"csrf_token": token, "confirm": "y", "pin": PIN})
    assert response.status_code == 302
    gone = db.session.get(Volunteer, son.id)
    assert gone.deleted_at is not None and gone.household_id is None and gone.name != "赵小宇"
    household = db.session.scalar(select(Household))
    assert household is not None and household.phone == PHONE
    assert {m.id for m in household.members} == {mother.id, daughter.id}


def test_deleting_the_last_person_deletes_the_number(app, db, client, make):
    with_pin(make.volunteer("赵丽", phone=PHONE))
    db.session.commit()
    assert sign_in(client, PHONE, PIN).status_code == 302
    token = csrf_token(client, "/me/delete")
    client.post("/me/delete", data={"csrf_token": token, "confirm": "y", "pin": PIN})
    assert count(db, Household) == 0 and count(db, Device) == 0


def test_the_api_asks_a_shared_phone_to_say_whom_it_scans_for(app, db, client, make):
    mother, son, _daughter, activity = family(make, db)
    token = issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    body = {"token": token, "phone": PHONE, "pin": PIN}
    response = client.post("/api/v1/checkin", json=body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "choose_person"
    assert {p["name"] for p in error["people"]} == {"赵丽", "赵小宇", "赵小雨"}
    response = client.post("/api/v1/checkin", json={**body, "volunteer_id": son.id})
    assert response.status_code == 201 and response.get_json()["name"] == "赵小宇"
    stranger = make.volunteer("外人", phone="13900000001")
    db.session.commit()
    response = client.post("/api/v1/checkin", json={**body, "volunteer_id": stranger.id})
    assert response.status_code == 404
    assert {r.volunteer_id for r in db.session.scalars(select(CheckIn))} == {son.id}
    assert mother.id != son.id


def test_a_deleted_account_can_no_longer_be_checked_in(app, db, client, make, login_as):
    from volunteer_app.volunteers import privacy

    activity = make.activity()
    volunteer = make.volunteer("王建国")
    db.session.commit()
    privacy.delete_account(volunteer, confirmed=True, pin=None, now=activity.starts_at)
    db.session.commit()
    login_as(make.user(unit=activity.unit))
    page = f"/activities/{activity.id}/checkin"
    token = csrf_token(client, page)
    client.post(
        page, data={"csrf_token": token, "action": "check_in", "volunteer_ids": [volunteer.id]}
    )
    assert count(db, CheckIn) == 0
