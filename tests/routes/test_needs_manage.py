"""The station's queue of orders and an order's page for the organizers handling it."""

from __future__ import annotations

from sqlalchemy import select

from volunteer_app.database import utcnow
from volunteer_app.needs.models import Need, NeedEvent, NeedStatus
from volunteer_app.stations.models import UnitLevel

from ..conftest import csrf_token


def world(make):
    district = make.unit(level=UnitLevel.DISTRICT)
    centre = make.unit(level=UnitLevel.CENTRE, parent=district)
    station = make.unit(name="万福社区新时代文明实践站", parent=centre)
    sibling = make.unit(parent=centre)
    need = make.need(station, title="上门测血压", contact_phone="13700001234")
    return centre, station, sibling, need


def post(client, need, path, **data):
    token = csrf_token(client, f"/needs/{need.id}")
    return client.post(f"/needs/{need.id}/{path}", data={"csrf_token": token, **data})


def test_the_queue_lists_the_stations_orders_and_the_page_shows_the_full_number(
    app, client, make, db, login_as
):
    _centre, station, sibling, need = world(make)
    make.need(sibling, title="别站的需求")
    db.session.commit()
    login_as(make.user(unit=station))
    html = client.get("/needs/queue").get_data(as_text=True)
    assert "上门测血压" in html and "别站的需求" not in html
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "13700001234" in page and "幸福小区" in page


def test_another_stations_order_is_not_found(app, client, make, db, login_as):
    _centre, _station, sibling, need = world(make)
    db.session.commit()
    login_as(make.user(unit=sibling))
    assert client.get(f"/needs/{need.id}").status_code == 404
    token = csrf_token(client, "/needs/queue")
    data = {"csrf_token": token, "note": "x"}
    assert client.post(f"/needs/{need.id}/steps/accept", data=data).status_code == 404
    assert client.post(f"/needs/{need.id}/dispatch", data=data).status_code == 404
    assert db.session.get(type(need), need.id).status == NeedStatus.SUBMITTED


def test_a_rejection_needs_its_reason_beside_the_field(app, client, make, db, login_as):
    _centre, station, _sibling, need = world(make)
    db.session.commit()
    login_as(make.user(unit=station))
    refused = post(client, need, "steps/reject", note="")
    assert refused.status_code == 400 and 'id="note-error"' in refused.get_data(as_text=True)
    assert post(client, need, "steps/reject", note="不在服务范围内").status_code == 302
    db.session.expire_all()
    assert need.status == NeedStatus.REJECTED and need.rejection_reason == "不在服务范围内"
    assert post(client, need, "steps/nonsense").status_code == 404


def test_passed_up_the_centre_dispatches_and_the_station_only_watches(
    app, client, make, db, login_as
):
    centre, station, _sibling, need = world(make)
    team = make.team(centre, name="吕陵镇卫生院医护志愿服务队")
    other_team = make.team(make.unit(level=UnitLevel.CENTRE), name="别的镇的队伍")
    station_organizer, centre_organizer = make.user(unit=station), make.user(unit=centre)
    db.session.commit()
    login_as(station_organizer)
    assert post(client, need, "steps/escalate", note="站点没有医生").status_code == 302
    assert "站点没有医生" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert post(client, need, "steps/accept").status_code == 404  # no longer theirs to act
    client._cookies.clear()  # the station organizer's phone is put down
    login_as(centre_organizer)
    forged = post(client, need, "dispatch", team=other_team.id, hours="48")
    assert forged.status_code == 400
    assert post(client, need, "dispatch", team=team.id, hours="48").status_code == 302
    db.session.expire_all()
    assert need.status == NeedStatus.DISPATCHED and need.team_id == team.id
    assert need.take_by > utcnow()
    assert post(client, need, "steps/take").status_code == 302
    db.session.expire_all()
    assert need.status == NeedStatus.TAKEN and need.activity.team_id == team.id
    actions = db.session.scalars(select(NeedEvent.action).order_by(NeedEvent.id)).all()
    assert actions == ["escalate", "dispatch", "take"]  # the factory's order has no submit


def test_the_dashboard_counts_the_orders_and_their_rates(app, client, make, db, login_as):
    from datetime import timedelta

    from volunteer_app.needs import services
    from volunteer_app.needs.rules import Step
    from volunteer_app.needs.services import Actor

    _centre, station, _sibling, _need = world(make)
    team = make.team(station)
    organizer = make.user(unit=station)
    leader = make.member(team, leader=True).volunteer
    now = utcnow()
    done, open_ = make.need(station, title="已办结"), make.need(station, title="待派单")
    for need in (done, open_):
        services.take_step(need, Step.ACCEPT, Actor.organizer(organizer), now=now)
    services.take_step(
        done,
        Step.DISPATCH,
        Actor.organizer(organizer),
        team=team,
        take_by=now + timedelta(hours=2),
        now=now,
    )
    services.take_step(done, Step.TAKE, Actor.team_leader(leader), now=now)
    services.take_step(done, Step.COMPLETE, Actor.team_leader(leader), note="好", now=now)
    services.rate(done, quality=5, attitude=5, now=now)
    db.session.commit()
    login_as(organizer)
    html = client.get(f"/reports/?unit={station.id}").get_data(as_text=True)
    section = html[html.index('id="orders"') :]
    assert "接单率" in section and "100%" in section  # taken 1 of 1 dispatched
    assert "50%" in section  # 办结率: 1 completed of the 2 accepted
    assert "<td>3</td>" in section  # received: the world's order too


def test_the_activity_list_counts_the_orders_waiting_and_overdue(app, client, make, db, login_as):
    from datetime import timedelta

    _centre, station, sibling, need = world(make)
    now = utcnow()
    need.changed_at = now - timedelta(hours=30)  # past the default 24 h to answer
    make.need(station, title="新到的需求", changed_at=now)
    make.need(station, title="已办结", status=NeedStatus.COMPLETED)
    make.need(sibling, title="别站的需求", changed_at=now - timedelta(days=3))
    db.session.commit()
    login_as(make.user(unit=station))
    html = client.get("/activities").get_data(as_text=True)
    assert "2 条群众点单待受理或派单 · 1 条已超期" in html
    assert 'href="/needs/queue"' in html


def test_a_station_with_no_order_waiting_is_told_nothing(app, client, make, db, login_as):
    station = make.unit()
    make.need(station, status=NeedStatus.RATED)
    db.session.commit()
    login_as(make.user(unit=station))
    assert "群众点单待受理" not in client.get("/activities").get_data(as_text=True)


def proxy_order(client, station, category, **changes):
    token = csrf_token(client, "/needs/proxy")
    data = {
        "csrf_token": token,
        "proxy_note": "网格员王芳，为邻居代点单",
        "station": station.id,
        "category": category.id,
        "title": "上门测血压",
        "address": "万福街道幸福小区3号楼2单元",
        "contact_name": "张桂芝",
        "contact_phone": "13800001234",
        "wanted_part": "",
    }
    return client.post("/needs/proxy", data=data | changes)


def test_an_organizer_orders_for_a_resident_without_a_smartphone(app, client, make, db, login_as):
    _centre, station, sibling, _need = world(make)
    category = make.category()
    worker = make.user(unit=station)
    db.session.commit()
    login_as(worker)
    page = client.get("/needs/proxy").get_data(as_text=True)
    assert "代群众点单" in page and "代点单说明" in page
    assert station.name in page and sibling.name not in page  # their own stations only

    response = proxy_order(client, station, category)
    assert response.status_code == 302
    placed = db.session.scalar(select(Need).where(Need.contact_phone == "13800001234"))
    assert response.headers["Location"].endswith(f"/needs/{placed.id}")
    assert placed.is_proxy and placed.proxy_user_id == worker.id
    assert placed.proxy_note == "网格员王芳，为邻居代点单"
    (submit,) = [e for e in db.session.scalars(select(NeedEvent)) if e.need_id == placed.id]
    assert submit.actor_user_id == worker.id and not submit.by_resident
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已为张桂芝代点单" in shown and "/n/" in shown  # the link to pass on
    assert "网格员王芳" in shown


def test_a_proxy_order_says_who_placed_it_and_stays_at_the_organizers_stations(
    app, client, make, db, login_as
):
    _centre, station, sibling, _need = world(make)
    category = make.category()
    db.session.commit()
    login_as(make.user(unit=station))
    refused = proxy_order(client, station, category, proxy_note="  ", contact_phone="")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "请说明谁为谁代点单" in html and "请填写可以联系到您的手机号。" in html
    elsewhere = proxy_order(client, sibling, category)  # not one of theirs
    assert elsewhere.status_code == 400
    assert db.session.scalar(select(Need).where(Need.contact_phone == "13800001234")) is None
    assert client.get("/needs/proxy", follow_redirects=False).status_code == 200


def test_proxy_ordering_needs_an_organizer(app, client, make, db):
    db.session.commit()
    response = client.get("/needs/proxy")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
