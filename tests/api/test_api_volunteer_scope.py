"""The API's check-ins and check-outs by card or phone reach only the caller's volunteers
(``auth.scoping.volunteer_may_be_recorded``); anyone else gets the code an unknown card or
number gets, and nothing is written. tests/routes/test_volunteer_scope_walk.py walks the
same endpoints with the pages'."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.codes import new_key
from volunteer_app.volunteers.cards import issue_card
from volunteer_app.volunteers.models import Volunteer

from ..statements import BUDGET, counting


def _count(db, model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


def _error(response) -> str:
    return response.get_json()["error"]["code"]


@pytest.fixture
def elsewhere(make, db):
    """A volunteer registered at another station, who has never come to the caller's."""
    volunteer = make.volunteer("别处的人", phone="13912345678", registered_unit_id=make.unit().id)
    db.session.commit()
    return volunteer


@pytest.mark.parametrize("path", ["checkins", "checkouts"])
def test_someone_elses_volunteer_is_answered_as_an_unknown_one(
    app, client, db, api, elsewhere, path
):
    url = f"/api/v1/activities/{api.activity.id}/{path}"
    secret = app.config["SECRET_KEY"]
    before = (_count(db, CheckIn), _count(db, AuditEntry), _count(db, Volunteer))
    pairs = [
        ({"card": issue_card(secret, elsewhere.card_key)}, {"card": issue_card(secret, new_key())}),
        ({"phone": "13912345678"}, {"phone": "13700000000"}),
        (
            {"phone": "13912345678", "name": "别处的人"},
            {"phone": "13700000000", "name": "别处的人"},
        ),
    ]
    for theirs, unknown in pairs:
        answer = client.post(url, json=theirs, headers=api.headers)
        expected = client.post(url, json=unknown, headers=api.headers)
        assert (answer.status_code, _error(answer)) == (expected.status_code, _error(expected))
        assert "13912345678" not in answer.get_data(as_text=True)
        assert "139****5678" not in answer.get_data(as_text=True)
    assert (_count(db, CheckIn), _count(db, AuditEntry), _count(db, Volunteer)) == before


def test_a_walk_in_cannot_take_someone_elses_number(client, db, api, elsewhere):
    """With a name and consent an unknown number is registered; someone else's number is
    refused as the desk's walk-in form refuses a number already registered, never saying
    whose it is, and nobody is added to that number's household."""
    url = f"/api/v1/activities/{api.activity.id}/checkins"
    for name in ("别处的人", "另一个人"):
        body = {"phone": "13912345678", "name": name, "consent": True}
        response = client.post(url, json=body, headers=api.headers)
        assert response.status_code == 409 and _error(response) == "number_taken"
        assert "别处的人" not in response.get_json()["error"]["message"]
    assert _count(db, Volunteer) == 1 and _count(db, CheckIn) == 0


def test_a_shared_phone_reaches_only_our_member(client, db, make, api, elsewhere):
    """A phone several people share: only the caller's one of them counts, so no name is
    needed and the other member stays unseen."""
    ours = make.volunteer("我们的人", phone="13912345678", registered_unit_id=api.activity.unit_id)
    db.session.commit()
    url = f"/api/v1/activities/{api.activity.id}/checkins"
    response = client.post(url, json={"phone": "13912345678"}, headers=api.headers)
    assert response.status_code == 201 and response.get_json()["volunteer_id"] == ours.id
    assert "别处的人" not in response.get_data(as_text=True)


def test_a_record_at_our_activity_may_be_closed_by_phone_or_card(app, client, db, api, elsewhere):
    """Someone checked in at the caller's activity before (the record is the activity's)
    is checked out, and a repeat check-in is told "already", by phone or by card."""
    db.session.add(
        CheckIn(
            activity=api.activity,
            volunteer=elsewhere,
            checked_in_at=api.activity.starts_at,
            origin=HoursOrigin.ORGANIZER,
            self_made=False,
        )
    )
    db.session.commit()
    base = f"/api/v1/activities/{api.activity.id}"
    card = {"card": issue_card(app.config["SECRET_KEY"], elsewhere.card_key)}
    again = client.post(f"{base}/checkins", json=card, headers=api.headers)
    assert again.status_code == 200 and again.get_json()["already"] is True
    out = client.post(f"{base}/checkouts", json={"phone": "13912345678"}, headers=api.headers)
    assert out.status_code == 200 and out.get_json()["already"] is False
    assert out.get_json()["checked_out_at"] is not None


@pytest.mark.parametrize("by", ["phone", "card"])
def test_refusing_someone_elses_volunteer_costs_no_extra_statement(
    app, client, db, api, elsewhere, by
):
    """The scope is folded into the one query that looks the card or number up."""
    ref = (
        {"phone": "13912345678"}
        if by == "phone"
        else {"card": issue_card(app.config["SECRET_KEY"], elsewhere.card_key)}
    )
    path = f"/api/v1/activities/{api.activity.id}/checkins"
    db.session.commit()
    with counting(db.engine) as log:
        response = client.post(path, json=ref, headers=api.headers)
    assert response.status_code in (404, 422)
    selects = [s for s in log.statements if s.startswith("SELECT")]
    assert len(selects) == 3, str(log)  # the token's user, the activity, the card or number
    assert len(log.statements) <= BUDGET, str(log)
