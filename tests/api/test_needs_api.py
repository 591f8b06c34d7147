"""Residents' orders over the API: the queue and one order within the caller's scope, and
the steps an organizer takes, with the pages' rules and answers."""

from __future__ import annotations

from volunteer_app.api.services import create_token
from volunteer_app.database import utcnow
from volunteer_app.needs.models import NeedStatus
from volunteer_app.stations.models import UnitLevel


def bearer(db, user) -> dict:
    _, raw = create_token(user, "api", now=utcnow())
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_the_queue_and_one_order_within_scope(app, client, make, db):
    station, elsewhere = make.unit(), make.unit()
    ours = make.need(station, title="上门测血压", contact_phone="13700001234")
    theirs = make.need(elsewhere, title="别处的需求")
    headers = bearer(db, make.user(unit=station))
    page = client.get("/api/v1/needs", headers=headers).json
    assert [n["title"] for n in page["items"]] == ["上门测血压"] and page["total"] == 1
    one = client.get(f"/api/v1/needs/{ours.id}", headers=headers).json
    assert one["contact_phone"] == "13700001234" and one["handled_here"] and one["address"]
    assert client.get(f"/api/v1/needs/{theirs.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/needs?status=nonsense", headers=headers).status_code == 400
    assert client.get("/api/v1/needs?status=rejected", headers=headers).json["total"] == 0


def test_steps_follow_the_rules(app, client, make, db):
    centre = make.unit(level=UnitLevel.CENTRE)
    station = make.unit(parent=centre)
    need = make.need(station)
    team = make.team(centre)
    other_team = make.team(make.unit())
    station_headers = bearer(db, make.user(unit=station))
    centre_headers = bearer(db, make.user(unit=centre))
    url = f"/api/v1/needs/{need.id}/steps"
    refused = client.post(url, json={"step": "reject"}, headers=station_headers)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "reason_required"
    assert client.post(url, json={"step": "fly"}, headers=station_headers).status_code == 422
    up = client.post(url, json={"step": "escalate", "note": "请所里协调"}, headers=station_headers)
    assert up.status_code == 200 and up.json["status"] == "escalated"
    # the station watches now: its number masked, no step
    watched = client.get(f"/api/v1/needs/{need.id}", headers=station_headers).json
    assert not watched["handled_here"] and "****" in watched["contact_phone"]
    assert watched["address"] == ""
    assert client.post(url, json={"step": "accept"}, headers=station_headers).status_code == 404
    forged = client.post(
        url, json={"step": "dispatch", "team_id": other_team.id}, headers=centre_headers
    )
    assert forged.status_code == 400 and forged.json["error"]["code"] == "team_required"
    sent = client.post(
        url, json={"step": "dispatch", "team_id": team.id, "hours": 24}, headers=centre_headers
    )
    assert sent.status_code == 200 and sent.json["status"] == "dispatched"
    assert [e["action"] for e in sent.json["log"]] == ["escalate", "dispatch"]
    again = client.post(url, json={"step": "accept"}, headers=centre_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "wrong_status"
    db.session.expire_all()
    assert need.status == NeedStatus.DISPATCHED and need.team_id == team.id
