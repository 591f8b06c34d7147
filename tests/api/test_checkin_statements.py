"""The organizer API check-in stays within its SQL statement budget (see tests/statements.py)."""

from __future__ import annotations

import pytest

from volunteer_app.volunteers.cards import issue_card

from ..statements import BUDGET, check_shape, counting, records


@pytest.mark.parametrize("by", ["phone", "card"])
def test_api_check_in_runs_at_most_four_statements(app, db, client, api, make, by):
    volunteer = make.volunteer(name="张桂兰", phone="13800138000")
    db.session.commit()
    ref = (
        {"phone": "138 0013 8000"}
        if by == "phone"
        else {"card": issue_card(app.config["SECRET_KEY"], volunteer.card_key)}
    )
    path = f"/api/v1/activities/{api.activity.id}/checkins"
    db.session.commit()  # nothing of the test's own session may fall into the count

    with counting(db.engine) as log:
        response = client.post(path, json=ref, headers=api.headers)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["already"] is False
    assert len(log.statements) <= BUDGET, str(log)
    check_shape(db.engine, log)
    assert records(db, api.activity) == 1


def test_api_repeat_reads_the_record_once_more(app, db, client, api, make):
    """A repeat finds no row inserted and reads the existing one: one statement more."""
    make.volunteer(name="张桂兰", phone="13800138000")
    db.session.commit()
    path = f"/api/v1/activities/{api.activity.id}/checkins"
    client.post(path, json={"phone": "13800138000"}, headers=api.headers)
    db.session.commit()

    with counting(db.engine) as log:
        response = client.post(path, json={"phone": "13800138000"}, headers=api.headers)

    assert response.status_code == 200 and response.get_json()["already"] is True
    assert len(log.statements) <= BUDGET + 1, str(log)
    check_shape(db.engine, log, writing=("INSERT", "SELECT"))
    assert records(db, api.activity) == 1
