"""PIPL rights: export my data (JSON, CSV) and delete my account with records kept anonymously."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.database import utcnow
from volunteer_app.volunteers.models import Device, Volunteer

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin
from .test_my_page import served


def arrange(make):
    volunteer = with_pin(make.volunteer(name="孙丽娟", phone="13812341234"))
    station = make.unit(name="吕陵镇中心卫生院")
    day = utcnow().replace(microsecond=0) - timedelta(days=3)
    activity = make.activity(station, title="=HYPERLINK(1)", place="＠SUM(1)", starts_at=day)
    served(make, volunteer, activity, 120)
    other = make.volunteer(name="周明", phone="13912341234")
    served(make, other, activity, 60)
    return volunteer, activity


def test_export_json_and_csv(app, db, client, make):
    arrange(make)
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    response = client.get("/me/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["volunteer"]["name"] == "孙丽娟" and data["volunteer"]["phone"] == "13812341234"
    assert data["volunteer"]["consent_version"] == "test"
    assert [r["hours"] for r in data["service_records"]] == [2.0]
    assert data["service_records"][0]["station"] == "吕陵镇中心卫生院"
    assert len(data["devices"]) == 1
    assert "周明" not in response.get_data(as_text=True)

    response = client.get("/me/export.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["站点"] == "吕陵镇中心卫生院"
    assert rows[0]["服务时长（小时）"] == "2.0" and rows[0]["时长状态"] == "已确认"
    assert rows[0]["活动名称"] == "'=HYPERLINK(1)"  # no formula injection
    assert rows[0]["地点"] == "'＠SUM(1)"  # nor with the full-width forms


def test_export_needs_my_device(client):
    assert client.get("/me/export.json").status_code == 302
    assert client.get("/me/export.csv").status_code == 302


def test_delete_account_erases_the_person_and_keeps_the_hours(app, db, client, make, login_as):
    volunteer, activity = arrange(make)
    organizer = make.user(unit=activity.unit)
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    other_device = app.test_client()
    sign_in(other_device, "13812341234", PIN)
    today = (utcnow() + timedelta(hours=8)).date()
    token = csrf_token(client, "/me/certificates")
    location = client.post(
        "/me/certificates",
        data={
            "csrf_token": token,
            "start": (today - timedelta(days=30)).isoformat(),
            "end": today.isoformat(),
        },
    ).headers["Location"]
    verify = re.search(r'class="url small">http://localhost([^<]+)<', client.get(location).text)[1]
    total_before = db.session.scalar(
        select(func.sum(CheckIn.minutes)).where(CheckIn.activity_id == activity.id)
    )

    token = csrf_token(client, "/me/delete")
    refused = client.post("/me/delete", data={"csrf_token": token, "pin": PIN})
    assert refused.status_code == 400 and "请勾选确认" in refused.text
    refused = client.post("/me/delete", data={"csrf_token": token, "pin": "0000", "confirm": "y"})
    assert refused.status_code == 400 and "密码不正确" in refused.text
    response = client.post("/me/delete", data={"csrf_token": token, "pin": PIN, "confirm": "y"})
    assert response.status_code == 302

    gone = db.session.get(Volunteer, volunteer.id)
    assert gone.deleted_at is not None and gone.name == "已注销志愿者"
    assert "1381234" not in gone.phone and gone.household is None
    assert db.session.scalar(select(func.count()).select_from(Device)) == 0
    assert client.get("/me").status_code == 302 and other_device.get("/me").status_code == 302
    # The station's totals are unchanged; the record is still there, confirmed.
    assert (
        db.session.scalar(
            select(func.sum(CheckIn.minutes)).where(CheckIn.activity_id == activity.id)
        )
        == total_before
        == 180
    )
    kept = db.session.scalar(select(CheckIn).where(CheckIn.volunteer_id == volunteer.id))
    assert kept.minutes == 120 and kept.status == HoursStatus.CONFIRMED
    # Nobody sees the person any more: not the organizer, not a certificate verifier.
    login_as(organizer)
    page = client.get(f"/activities/{activity.id}").text
    assert "孙丽娟" not in page and "138****1234" not in page and "139****1234" in page
    assert "已注销志愿者" in page
    verified = app.test_client().get(verify)
    assert (
        verified.status_code == 410
        and "证明已失效" in verified.text
        and "孙丽娟" not in verified.text
    )
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "volunteer.deleted"))
    # The number is free again: someone registering it starts with no history.
    assert sign_in(app.test_client(), "13812341234", PIN).status_code == 401
