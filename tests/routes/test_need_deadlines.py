"""The deadlines page (/needs/deadlines, needs/deadlines.py): who sees and sets which
unit's deadlines, the form's messages, the audit, the reset, the queue's overdue flags,
and two organizers saving at once (tests/races.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role, User
from volunteer_app.database import utcnow
from volunteer_app.extensions import db as _db
from volunteer_app.needs import services
from volunteer_app.needs.models import NeedPolicy
from volunteer_app.needs.rules import PolicyHours
from volunteer_app.stations.models import Unit, UnitLevel

from ..conftest import csrf_token
from ..races import Race


def tree(make):
    district = make.unit(name="万福区新时代文明实践中心", level=UnitLevel.DISTRICT)
    centre = make.unit(name="幸福街道新时代文明实践所", level=UnitLevel.CENTRE, parent=district)
    station = make.unit(name="万福社区新时代文明实践站", parent=centre)
    other_centre = make.unit(
        name="和平街道新时代文明实践所", level=UnitLevel.CENTRE, parent=district
    )
    return district, centre, station, other_centre


def save(client, unit_id, **hours):
    token = csrf_token(client, f"/needs/deadlines/{unit_id}")
    data = {"respond_hours": "24", "dispatch_hours": "48", "take_hours": "48", **hours}
    return client.post(f"/needs/deadlines/{unit_id}", data={"csrf_token": token, **data})


def reset(client, unit_id):
    token = csrf_token(client, f"/needs/deadlines/{unit_id}")
    return client.post(f"/needs/deadlines/{unit_id}/reset", data={"csrf_token": token})


def own_row(db, unit_id):
    db.session.expire_all()
    return db.session.get(NeedPolicy, unit_id)


def test_a_centre_sets_its_deadlines_and_its_stations_inherit_them(app, client, make, db, login_as):
    _district, centre, station, _other = tree(make)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    db.session.commit()
    page = client.get("/needs/deadlines").get_data(as_text=True)
    assert "默认" in page and station.name in page
    assert (
        save(client, centre.id, respond_hours="6", dispatch_hours="12", take_hours="30").status_code
        == 302
    )
    row = own_row(db, centre.id)
    assert (row.respond_hours, row.dispatch_hours, row.take_hours) == (6, 12, 30)
    page = client.get("/needs/deadlines").get_data(as_text=True)
    assert f"继承自{centre.name}" in page
    governing = services.governing_policy(station.id)
    assert governing.source.id == centre.id and governing.policy.respond_hours == 6


def test_every_problem_stands_beside_its_field_with_a_400(app, client, make, db, login_as):
    _district, centre, _station, _other = tree(make)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    db.session.commit()
    refused = save(client, centre.id, respond_hours="", dispatch_hours="1.5", take_hours="721")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    for field in ("respond_hours", "dispatch_hours", "take_hours"):
        assert f'id="{field}-error"' in html
    assert "请填写小时数" in html and "整数小时" in html and "1 到 720" in html
    assert own_row(db, centre.id) is None


def test_the_change_is_audited_with_the_old_values(app, client, make, db, login_as):
    _district, centre, _station, _other = tree(make)
    me = login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    db.session.commit()
    save(client, centre.id, respond_hours="6")
    save(client, centre.id, respond_hours="8")
    save(client, centre.id, respond_hours="8")  # nothing changed: no entry
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.startswith("need_policy."))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["need_policy.set", "need_policy.set"]
    assert entries[0].old_value is None and entries[0].actor_user_id == me.id
    assert entries[1].old_value["respond_hours"] == 6 and entries[1].new_value["respond_hours"] == 8
    assert entries[1].new_value["unit_id"] == centre.id
    page = client.get(f"/needs/deadlines/{centre.id}").get_data(as_text=True)
    assert page.count("点单时限已设置") == 2 and "受理 8 小时" in page


def test_reset_deletes_the_units_own_row_and_it_inherits_again(app, client, make, db, login_as):
    district, centre, station, _other = tree(make)
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    db.session.commit()
    save(client, district.id, respond_hours="10")
    save(client, centre.id, respond_hours="5")
    assert services.governing_policy(station.id).policy.respond_hours == 5
    page = client.get(f"/needs/deadlines/{centre.id}").get_data(as_text=True)
    assert "恢复为继承" in page and district.name in page
    assert reset(client, centre.id).status_code == 302
    assert own_row(db, centre.id) is None
    governing = services.governing_policy(station.id)
    assert governing.source.id == district.id and governing.policy.respond_hours == 10
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "need_policy.reset"))
    assert entry.old_value["respond_hours"] == 5
    assert reset(client, centre.id).status_code == 302  # nothing to reset: no second entry
    assert (
        len(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "need_policy.reset")
            ).all()
        )
        == 1
    )


def test_station_organizers_see_the_deadlines_read_only(app, client, make, db, login_as):
    _district, centre, station, _other = tree(make)
    db.session.add(NeedPolicy(unit_id=centre.id, respond_hours=7, dispatch_hours=9, take_hours=11))
    login_as(make.user(unit=station))
    db.session.commit()
    page = client.get("/needs/deadlines")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"继承自{centre.name}" in html and ">7<" in html
    assert "/needs/deadlines/" not in html
    assert client.get(f"/needs/deadlines/{station.id}").status_code == 404
    assert client.get(f"/needs/deadlines/{centre.id}").status_code == 404
    token = csrf_token(client, "/needs/queue")
    data = {"csrf_token": token, "respond_hours": "1", "dispatch_hours": "1", "take_hours": "1"}
    assert client.post(f"/needs/deadlines/{station.id}", data=data).status_code == 404
    assert own_row(db, station.id) is None


def test_a_centre_may_not_give_its_station_a_policy_of_its_own(app, client, make, db, login_as):
    _district, centre, station, _other = tree(make)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    db.session.commit()
    assert client.get(f"/needs/deadlines/{station.id}").status_code == 404
    assert save(client, centre.id).status_code == 302
    token = csrf_token(client, "/needs/deadlines")
    data = {"csrf_token": token, "respond_hours": "1", "dispatch_hours": "1", "take_hours": "1"}
    assert client.post(f"/needs/deadlines/{station.id}", data=data).status_code == 404
    assert own_row(db, station.id) is None


def test_another_centres_policy_is_not_found(app, client, make, db, login_as):
    _district, centre, _station, other = tree(make)
    db.session.add(NeedPolicy(unit_id=other.id, respond_hours=3, dispatch_hours=3, take_hours=3))
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    db.session.commit()
    assert other.name not in client.get("/needs/deadlines").get_data(as_text=True)
    assert client.get(f"/needs/deadlines/{other.id}").status_code == 404
    token = csrf_token(client, "/needs/deadlines")
    data = {"csrf_token": token, "respond_hours": "9", "dispatch_hours": "9", "take_hours": "9"}
    assert client.post(f"/needs/deadlines/{other.id}", data=data).status_code == 404
    assert client.post(f"/needs/deadlines/{other.id}/reset", data=data).status_code == 404
    row = own_row(db, other.id)
    assert row is not None and row.respond_hours == 3


def test_a_stations_row_written_into_the_database_never_governs(app, make, db):
    _district, centre, station, _other = tree(make)
    db.session.add(NeedPolicy(unit_id=station.id, respond_hours=1, dispatch_hours=1, take_hours=1))
    db.session.add(NeedPolicy(unit_id=centre.id, respond_hours=5, dispatch_hours=5, take_hours=5))
    db.session.commit()
    assert services.governing_policy(station.id).source.id == centre.id


def test_the_queue_flags_overdue_by_the_changed_policy(app, client, make, db, login_as):
    district, centre, station, _other = tree(make)
    make.need(station, title="上门理发", changed_at=utcnow() - timedelta(hours=10))
    db.session.commit()
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    assert "已超时" not in client.get("/needs/queue").get_data(as_text=True)  # 24 h by default
    assert save(client, centre.id, respond_hours="8").status_code == 302
    assert "已超时" in client.get("/needs/queue").get_data(as_text=True)
    assert reset(client, centre.id).status_code == 302
    assert "已超时" not in client.get("/needs/queue").get_data(as_text=True)


def test_the_queue_links_the_deadlines(app, client, make, db, login_as):
    login_as(make.user())
    db.session.commit()
    assert 'href="/needs/deadlines"' in client.get("/needs/queue").get_data(as_text=True)


def saving(app, unit_id: int, user_id: int, hours: int):
    """An actor: an organizer's save of the unit's deadlines, as a writing request runs it."""

    def run(go):
        with app.test_request_context(f"/needs/deadlines/{unit_id}", method="POST"):
            go()
            unit = _db.session.get(Unit, unit_id)
            user = _db.session.get(User, user_id)
            row = services.set_policy(
                unit, PolicyHours(hours, hours, hours), user=user, now=utcnow()
            )
            return row.respond_hours

    return run


@pytest.mark.parametrize("existing", [False, True], ids=["first policy", "existing policy"])
def test_two_organizers_saving_at_once_make_one_row_and_no_error(app, db, make, existing):
    _district, centre, _station, _other = tree(make)
    first = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
    second = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
    if existing:
        db.session.add(
            NeedPolicy(unit_id=centre.id, respond_hours=2, dispatch_hours=2, take_hours=2)
        )
    db.session.commit()
    race = Race(app, db)
    race.actor("a", saving(app, centre.id, first.id, 6))
    race.actor("b", saving(app, centre.id, second.id, 9))
    results = race.run(hold="a")
    assert sorted(results.values()) == [6, 9]
    rows = db.session.scalars(select(NeedPolicy).where(NeedPolicy.unit_id == centre.id)).all()
    assert len(rows) == 1 and rows[0].respond_hours == 6  # the held one saved last
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "need_policy.set").order_by(AuditEntry.id)
    ).all()
    assert len(entries) == 2
    # each entry's old values are what it overwrote: the other's save, or the first row
    olds = sorted((e.old_value or {}).get("respond_hours", 0) for e in entries)
    assert olds == ([2, 9] if existing else [0, 9])
