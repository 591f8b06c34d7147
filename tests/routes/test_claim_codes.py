"""One-time codes given in person: only for one's own volunteers, never a silent reset of a
PIN, long-standing accounts only from the centre up, every issue and use audited and listed
on the volunteer's own page (issue 14, point 2)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel
from volunteer_app.volunteers.models import Device, Volunteer

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin
from .test_my_page import post, served


def code_of(response) -> str:
    return re.search(r'id="setup-code" class="code">(\d{8})<', response.get_data(as_text=True))[1]


def entries(db, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def lüling(make):
    """吕陵镇 (a centre) with one station and its organizer."""
    centre = make.unit(name="吕陵镇", level=UnitLevel.CENTRE)
    station = make.unit(name="吕陵镇卫生院站", parent=centre)
    return centre, station, make.user(unit=station)


def test_another_centres_organizer_cannot_give_a_code_for_a_lüling_volunteer(
    client, db, make, login_as
):
    _centre, station, _organizer = lüling(make)
    volunteer = with_pin(
        make.volunteer("吕大爷", phone="13800001002", registered_unit_id=station.id)
    )
    wanfu = make.unit(name="万福街道", level=UnitLevel.CENTRE)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    db.session.commit()
    found = post(client, "/manage/volunteers/code", phone="13800001002")
    assert found.status_code == 404 and "吕大爷" not in found.get_data(as_text=True)
    token = csrf_token(client, "/manage/volunteers/code")
    direct = client.post(
        f"/manage/volunteers/{volunteer.id}/code",
        data={"csrf_token": token, "phone": "13800001002"},
    )
    assert direct.status_code == 404 and "吕大爷" not in direct.get_data(as_text=True)
    unknown = client.post(
        "/manage/volunteers/999999/code", data={"csrf_token": token, "phone": "13800001002"}
    )
    assert unknown.status_code == 404
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).household.setup_code_hash is None
    assert entries(db, "volunteer.setup_code_issued") == []


def test_a_code_for_a_pin_household_never_signs_anyone_in_silently(app, client, db, make, login_as):
    _centre, station, organizer = lüling(make)
    volunteer = with_pin(
        make.volunteer("吕大爷", phone="13800001002", registered_unit_id=station.id)
    )
    db.session.commit()
    owners_phone = app.test_client()
    assert sign_in(owners_phone, "13800001002", PIN).status_code == 302

    login_as(organizer)
    listed = post(client, "/manage/volunteers/code", phone="13800001002")
    assert "吕大爷" in listed.get_data(as_text=True) and "会重置密码" in listed.get_data(
        as_text=True
    )
    token = csrf_token(client, "/manage/volunteers/code")
    issued = client.post(
        f"/manage/volunteers/{volunteer.id}/code",
        data={"csrf_token": token, "phone": "13800001002"},
    )
    code = code_of(issued)
    # Issuing changes nothing yet: the old PIN works, the owner's phone stays signed in.
    assert sign_in(app.test_client(), "13800001002", PIN).status_code == 302
    assert owners_phone.get("/me").status_code == 200

    new_phone = app.test_client()
    used = sign_in(new_phone, "13800001002", code)
    assert used.status_code == 302 and used.headers["Location"].endswith("/me/pin")
    # Until a new PIN is chosen, the phone that used the code can do nothing else.
    for page in ("/me", "/me/card", "/me/certificates", "/me/export.json"):
        response = new_phone.get(page)
        assert response.status_code == 302 and response.headers["Location"].endswith("/me/pin")
    assert sign_in(app.test_client(), "13800001002", PIN).status_code == 401  # old PIN spent
    # The owner's phone was signed out and says why, naming the station.
    assert owners_phone.get("/me").status_code == 302
    notice = owners_phone.get("/me/sign-in").get_data(as_text=True)
    assert 'id="reset-notice"' in notice and "吕陵镇卫生院站" in notice
    assert "如果不是您本人操作" in notice
    assert 'id="reset-notice"' not in app.test_client().get("/me/sign-in").get_data(as_text=True)

    assert post(new_phone, "/me/pin", new_pin="8264", confirm="8264").status_code == 302
    page = new_phone.get("/me").get_data(as_text=True)
    assert "账户记录" in page and "吕陵镇卫生院站" in page and "密码已重置" in page
    assert "组织者发放了一次性验证码" in page and "已使用一次性验证码登录" in page
    (issued_entry,) = entries(db, "volunteer.setup_code_issued")
    (used_entry,) = entries(db, "volunteer.setup_code_used")
    assert issued_entry.actor_user_id == organizer.id and issued_entry.volunteer_id == volunteer.id
    assert issued_entry.new_value == {"via": "station", "station": "吕陵镇卫生院站", "reset": True}
    assert used_entry.new_value == {"via": "station", "station": "吕陵镇卫生院站", "reset": True}
    assert db.session.scalar(select(Device.revoked_at).order_by(Device.id).limit(1)) is not None


def test_a_long_standing_account_needs_the_centre(app, client, db, make, login_as):
    centre, station, station_organizer = lüling(make)
    volunteer = with_pin(
        make.volunteer("吕大爷", phone="13800001002", registered_unit_id=station.id)
    )
    volunteer.household.pin_set_at = utcnow() - timedelta(days=40)
    db.session.commit()
    login_as(station_organizer)
    token = csrf_token(client, "/manage/volunteers/code")
    url = f"/manage/volunteers/{volunteer.id}/code"
    refused = client.post(url, data={"csrf_token": token, "phone": "13800001002"})
    html = refused.get_data(as_text=True)
    assert (
        refused.status_code == 403 and "请联系您所在的所" in html and 'id="setup-code"' not in html
    )
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).household.setup_code_hash is None
    assert entries(db, "volunteer.setup_code_issued") == []
    client.post("/logout", data={"csrf_token": csrf_token(client, "/activities")})

    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    token = csrf_token(client, "/manage/volunteers/code")
    given = client.post(url, data={"csrf_token": token, "phone": "13800001002"})
    assert given.status_code == 200 and code_of(given)
    assert len(entries(db, "volunteer.setup_code_issued")) == 1


def test_records_at_other_stations_make_an_account_long_standing(client, db, make, login_as):
    _centre, station, station_organizer = lüling(make)
    volunteer = with_pin(
        make.volunteer("吕大爷", phone="13800001002", registered_unit_id=station.id)
    )
    served(make, volunteer, make.activity(make.unit(name="万福社区站")), 60, self_made=True)
    db.session.commit()
    login_as(station_organizer)
    refused = post(client, "/manage/volunteers/code", phone="13800001002", issue="1")
    assert refused.status_code == 403 and "请联系您所在的所" in refused.get_data(as_text=True)


def test_a_household_without_pin_gets_a_code_from_any_of_its_organizers(
    app, client, db, make, login_as
):
    _centre, station, organizer = lüling(make)
    volunteer = make.volunteer("吕大爷", phone="13800001002", registered_unit_id=station.id)
    volunteer.household.created_at = utcnow() - timedelta(days=400)
    db.session.commit()
    login_as(organizer)
    code = code_of(post(client, "/manage/volunteers/code", phone="13800001002", issue="1"))
    phone = app.test_client()
    assert sign_in(phone, "13800001002", code).headers["Location"].endswith("/me/pin")
    assert post(phone, "/me/pin", new_pin="8264", confirm="8264").status_code == 302
    (used,) = entries(db, "volunteer.setup_code_used")
    assert used.new_value == {"via": "station", "station": "吕陵镇卫生院站", "reset": False}


def test_a_code_used_at_a_check_in_still_makes_the_phone_choose_a_pin(
    app, client, db, make, login_as
):
    from .test_identity import scan_new_device

    _centre, station, organizer = lüling(make)
    volunteer = with_pin(
        make.volunteer("吕大爷", phone="13800001002", registered_unit_id=station.id)
    )
    activity = make.activity(station)
    db.session.commit()
    owners_phone = app.test_client()
    sign_in(owners_phone, "13800001002", PIN)
    login_as(organizer)
    code = code_of(post(client, "/manage/volunteers/code", phone="13800001002", issue="1"))
    phone = app.test_client()
    response = scan_new_device(phone, app, activity, phone="13800001002", pin=code)
    assert response.status_code == 200 and 'href="/me/pin"' in response.get_data(as_text=True)
    assert phone.get("/me").headers["Location"].endswith("/me/pin")
    assert owners_phone.get("/me").status_code == 302  # signed out, and told why:
    assert "吕陵镇卫生院站" in owners_phone.get("/me/sign-in").get_data(as_text=True)
    assert len(entries(db, "volunteer.setup_code_used")) == 1
    assert volunteer.id == entries(db, "volunteer.setup_code_used")[0].volunteer_id


def test_the_check_in_page_offers_the_sms_code_for_a_number_without_pin(app, client, db, make):
    from .test_identity import scan_new_device

    make.volunteer("王建国", phone="13800001002")
    activity = make.activity()
    db.session.commit()
    plain = scan_new_device(client, app, activity, phone="13800001002", pin="2580")
    html = plain.get_data(as_text=True)
    assert plain.status_code == 401 and "这个号码还没有设置密码" in html
    assert 'id="sms-code"' not in html and "王建国" not in html
    app.config["SMS_BACKEND"] = "log"
    offered = scan_new_device(client, app, activity, phone="13800001002", pin="2580")
    assert 'id="sms-code"' in offered.get_data(as_text=True)


def test_a_number_with_people_of_another_centre_gets_a_code_from_the_district_only(
    client, db, make, login_as
):
    """A code opens the whole household: the parent is 吕陵's, the child registered herself
    at a 万福 activity, so 万福's centre organizer may see the child but not give a code."""
    district = make.unit(name="高新区", level=UnitLevel.DISTRICT)
    lvling = make.unit(name="吕陵镇", level=UnitLevel.CENTRE, parent=district)
    wanfu = make.unit(name="万福街道", level=UnitLevel.CENTRE, parent=district)
    parent = with_pin(make.volunteer("吕大爷", phone="13800001002", registered_unit_id=lvling.id))
    child = make.volunteer("吕小妹", phone="13800001002", registered_unit_id=wanfu.id)
    db.session.commit()
    url = f"/manage/volunteers/{child.id}/code"
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    token = csrf_token(client, "/manage/volunteers/code")
    refused = client.post(url, data={"csrf_token": token, "phone": "13800001002"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 403 and 'id="setup-code"' not in html
    assert "吕大爷" not in html and "只能由区里发放" in html
    db.session.expire_all()
    assert db.session.get(Volunteer, parent.id).household.setup_code_hash is None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/activities")})

    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    token = csrf_token(client, "/manage/volunteers/code")
    given = client.post(url, data={"csrf_token": token, "phone": "13800001002"})
    assert given.status_code == 200 and code_of(given)
