"""An organizer's check-ins, check-outs and walk-ins over the API are audited as on the desk."""

from __future__ import annotations

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.volunteers.cards import issue_card
from volunteer_app.volunteers.models import Volunteer

from ..conftest import csrf_token
from .test_api import error_code


def audit(db) -> list[tuple]:
    return [
        (e.action, e.actor_user_id, e.checkin_id, e.volunteer_id, e.new_value)
        for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]


def test_check_in_and_out_by_phone_are_the_organizers_and_audited_once(client, db, make, api):
    volunteer = make.volunteer(
        "王建国", phone="13900000001", registered_unit_id=api.activity.unit_id
    )
    db.session.commit()
    base = f"/api/v1/activities/{api.activity.id}"
    body = {"phone": "13900000001"}

    first = client.post(f"{base}/checkins", json=body, headers=api.headers)
    repeat = client.post(f"{base}/checkins", json=body, headers=api.headers)
    out = client.post(f"{base}/checkouts", json=body, headers=api.headers)
    again = client.post(f"{base}/checkouts", json=body, headers=api.headers)

    assert first.status_code == 201 and repeat.json["already"] is True
    assert out.status_code == 200 and out.json["already"] is False
    assert again.status_code == 200 and again.json["already"] is True
    assert out.json["origin"] == "organizer"
    record = db.session.scalar(select(CheckIn))
    assert record.origin == HoursOrigin.ORGANIZER and record.recorded_by_id == api.user.id
    assert record.self_made is False
    user, vid, rid = api.user.id, volunteer.id, record.id
    assert audit(db) == [
        ("checkin.by_organizer", user, rid, vid, None),
        ("checkout.by_organizer", user, rid, vid, {"minutes": record.minutes}),
    ]


def test_the_api_writes_the_same_entries_as_the_desk_page(client, db, make, api, login_as, app):
    """The same check-in and check-out, once by the desk page and once by card over the API."""
    on_page = make.volunteer("李秀英", registered_unit_id=api.activity.unit_id)
    by_api = make.volunteer("张桂兰", registered_unit_id=api.activity.unit_id)
    db.session.commit()
    card = issue_card(app.config["SECRET_KEY"], by_api.card_key)
    base = f"/api/v1/activities/{api.activity.id}"
    login_as(api.user)
    desk = f"/activities/{api.activity.id}/checkin"
    token = csrf_token(client, desk)
    for action in ("check_in", "check_out"):
        data = {"csrf_token": token, "action": action, "volunteer_ids": [str(on_page.id)]}
        assert client.post(desk, data=data).status_code == 302
        path = "checkins" if action == "check_in" else "checkouts"
        assert client.post(f"{base}/{path}", json={"card": card}, headers=api.headers).json

    def shape(volunteer):
        return [
            (action, actor, new is None or set(new))
            for action, actor, _, vid, new in audit(db)
            if vid == volunteer.id
        ]

    assert (
        shape(on_page)
        == shape(by_api)
        == [
            ("checkin.by_organizer", api.user.id, True),
            ("checkout.by_organizer", api.user.id, {"minutes"}),
        ]
    )
    records = db.session.scalars(select(CheckIn)).all()
    assert {(r.origin, r.recorded_by_id) for r in records} == {(HoursOrigin.ORGANIZER, api.user.id)}


def test_a_walk_in_needs_the_consent_attestation_and_is_audited(client, db, api):
    url = f"/api/v1/activities/{api.activity.id}/checkins"
    body = {"phone": "13812341234", "name": "李秀英"}

    refused = client.post(url, json=body, headers=api.headers)
    english = client.post(url, json=body, headers={**api.headers, "Accept-Language": "en"})

    assert refused.status_code == 422 and error_code(refused) == "consent_required"
    assert "同意" in refused.json["error"]["message"]
    assert '"consent": true' in english.json["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 0
    assert audit(db) == []

    created = client.post(url, json={**body, "consent": True}, headers=api.headers)

    assert created.status_code == 201, created.json
    volunteer = db.session.scalar(select(Volunteer))
    assert volunteer.registered_by_id == api.user.id
    assert volunteer.registered_unit_id == api.activity.unit_id
    assert volunteer.consent_version.startswith("org-")
    record = db.session.scalar(select(CheckIn))
    assert [(a, actor, vid) for a, actor, _, vid, _ in audit(db)] == [
        ("volunteer.walk_in", api.user.id, volunteer.id),
        ("checkin.by_organizer", api.user.id, volunteer.id),
    ]
    walk_in = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "volunteer.walk_in"))
    assert walk_in.new_value is None and walk_in.personal_value("name") == "李秀英"
    assert walk_in.activity_id == api.activity.id and record.recorded_by_id == api.user.id
