"""A walk-in over the API with a number already registered: the desk's rules (issue 14)."""

from __future__ import annotations

from sqlalchemy import func, select

from volunteer_app.checkins.models import CheckIn
from volunteer_app.volunteers.models import PinThrottle, Volunteer

from ..routes.test_claim_walk_in import count, elsewhere
from ..routes.test_identity import PIN


def test_the_api_walk_in_follows_the_same_rules(client, db, make, api):
    owner = elsewhere(make)
    db.session.commit()
    url = f"/api/v1/activities/{api.activity.id}/checkins"
    unconsented = {"phone": "13812341234", "name": "冒名者"}
    unknown = client.post(url, json=unconsented | {"phone": "13700000000"}, headers=api.headers)
    hidden = client.post(url, json=unconsented, headers=api.headers)
    assert hidden.status_code == unknown.status_code == 422  # as for an unknown number
    assert hidden.json["error"]["code"] == unknown.json["error"]["code"] == "consent_required"
    refused = client.post(url, json=unconsented | {"consent": True}, headers=api.headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "number_taken"
    assert "李秀英" not in refused.get_data(as_text=True) and count(db, CheckIn) == 0
    wrong = client.post(
        url,
        json={"phone": "13812341234", "name": "李小明", "pin": "1111", "consent": True},
        headers=api.headers,
    )
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "desk_pin_wrong"
    added = client.post(
        url,
        json={"phone": "13812341234", "name": "李小明", "pin": PIN, "consent": True},
        headers=api.headers,
    )
    assert added.status_code == 201 and added.json["name"] == "李小明"
    child = db.session.scalar(select(Volunteer).where(Volunteer.name == "李小明"))
    assert child.household_id == owner.household_id
    body = {"phone": "13812341234", "name": "李秀英", "consent": True}
    named = client.post(url, json=body, headers=api.headers)  # not theirs: the name is no proof
    assert named.status_code == 409 and named.json["error"]["code"] == "number_taken"
    exact = client.post(url, json=body | {"pin": PIN}, headers=api.headers)
    assert exact.status_code == 201 and exact.json["origin"] == "organizer"
    db.session.expire_all()
    assert db.session.get(Volunteer, owner.id).registered_by_id is None
    assert db.session.scalar(select(func.sum(PinThrottle.failures))) == 0  # cleared by the PIN
