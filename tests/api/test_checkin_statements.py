"""The organizer API check-in stays within its SQL statement budget (see tests/statements.py).

An organizer's check-in writes two rows: the record and its audit entry
("checkin.by_organizer", as the desk page writes it). That is one INSERT more than the
budget of 4 that a volunteer's own scan keeps (tests/routes/test_checkin_statements.py), and
it cannot be folded into the record's INSERT: the rows belong to two tables, and SQLite has
no data-modifying common table expression (PostgreSQL's ``WITH … INSERT``) to write both in
one statement. So the budget here is ``BUDGET + 1``, spent on exactly that INSERT: both go in
the same flush, in the one write transaction (on SQLite the same ``BEGIN IMMEDIATE``), and
nothing is read back. A repeat writes neither and reads the record once more instead.
"""

from __future__ import annotations

import pytest

from volunteer_app.volunteers.cards import issue_card

from ..statements import BUDGET, GUARD, check_shape, counting, records


@pytest.mark.parametrize("by", ["phone", "card"])
def test_api_check_in_runs_at_most_five_statements(app, db, client, api, make, by):
    """Four as a self-scan, plus the audit entry's INSERT in the same write (module docstring)."""
    volunteer = make.volunteer(
        name="张桂兰", phone="13800138000", registered_unit_id=api.activity.unit_id
    )
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
    assert len(log.statements) <= BUDGET + 1 + len(GUARD), str(log)
    assert [s.split(" (")[0] for s in log.statements if s.startswith("INSERT")] == [
        "INSERT INTO checkins",
        "INSERT INTO audit_entries",
    ], str(log)
    check_shape(
        db.engine, log, writing=(*GUARD, "INSERT INTO checkins", "INSERT INTO audit_entries")
    )
    assert records(db, api.activity) == 1


def test_api_repeat_reads_the_record_once_more(app, db, client, api, make):
    """A repeat finds no row inserted and reads the existing one: one statement more."""
    make.volunteer(name="张桂兰", phone="13800138000", registered_unit_id=api.activity.unit_id)
    db.session.commit()
    path = f"/api/v1/activities/{api.activity.id}/checkins"
    client.post(path, json={"phone": "13800138000"}, headers=api.headers)
    db.session.commit()

    with counting(db.engine) as log:
        response = client.post(path, json={"phone": "13800138000"}, headers=api.headers)

    assert response.status_code == 200 and response.get_json()["already"] is True
    assert len(log.statements) <= BUDGET + 1 + len(GUARD), str(log)
    check_shape(db.engine, log, writing=(*GUARD, "INSERT", "SELECT"))
    assert records(db, api.activity) == 1
