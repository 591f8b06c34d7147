"""The service menu's pages: the organizer's list, adding, editing, withdrawing and
restoring an item (scoped, audited); the order form's menu cards, ordering from one, a
fully booked one refused with the form kept; the provider preselected for dispatch."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.database import utcnow
from volunteer_app.needs.models import Need, ServiceItem
from volunteer_app.stations.models import UnitLevel

from ..conftest import csrf_token


def world(make):
    district = make.unit(level=UnitLevel.DISTRICT)
    centre = make.unit(name="吕陵镇", level=UnitLevel.CENTRE, parent=district)
    clinic = make.unit(name="吕陵镇中心卫生院", parent=centre)
    school = make.unit(name="吕陵小学", parent=centre)
    team = make.team(clinic, name="吕陵镇卫生院医护志愿服务队")
    organizer = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
    return centre, clinic, school, team, organizer


def item_form(make, unit, team, **changes):
    return {
        "unit": unit.id,
        "title": "上门测血压",
        "category": make.category().id,
        "audience": "03",
        "team": team.id,
        "description": "每月一次，独居老人优先",
        "remaining": "2",
    } | changes


def test_the_organizer_adds_edits_withdraws_and_restores_an_item(app, client, make, db, login_as):
    centre, _clinic, _school, team, organizer = world(make)
    db.session.commit()
    login_as(organizer)
    assert "服务菜单" in client.get("/needs/queue").get_data(as_text=True)
    form = client.get("/needs/menu/new").get_data(as_text=True)
    assert f'<option selected value="{centre.id}">' in form  # their own unit by default
    token = csrf_token(client, "/needs/menu/new")
    added = client.post(
        "/needs/menu/new", data={"csrf_token": token, **item_form(make, centre, team)}
    )
    assert added.status_code == 302 and added.headers["Location"].endswith("/needs/menu")
    item = db.session.scalar(select(ServiceItem))
    assert (item.unit_id, item.team_id, item.remaining, item.audience) == (
        centre.id,
        team.id,
        2,
        "03",
    )
    listed = client.get("/needs/menu").get_data(as_text=True)
    assert "上门测血压" in listed and "剩余 2 次" in listed and "老年人" in listed
    edit = client.get(f"/needs/menu/{item.id}").get_data(as_text=True)
    assert 'value="上门测血压"' in edit
    changed = item_form(make, centre, team, title="上门测血压、血糖", remaining="")
    saved = client.post(f"/needs/menu/{item.id}", data={"csrf_token": token, **changed})
    assert saved.status_code == 302
    db.session.expire_all()
    assert item.title == "上门测血压、血糖" and item.remaining is None
    assert "不限次数" in client.get("/needs/menu").get_data(as_text=True)
    withdrawn = client.post(f"/needs/menu/{item.id}/withdraw", data={"csrf_token": token})
    assert withdrawn.status_code == 302
    db.session.expire_all()
    assert item.withdrawn_at is not None
    assert "已下架" in client.get("/needs/menu").get_data(as_text=True)
    assert (
        client.post(f"/needs/menu/{item.id}/restore", data={"csrf_token": token}).status_code == 302
    )
    db.session.expire_all()
    assert item.withdrawn_at is None
    assert client.post(f"/needs/menu/{item.id}/restore").status_code == 400  # no CSRF token
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["menu.create", "menu.update", "menu.withdraw", "menu.restore"]


def test_every_problem_is_shown_beside_its_field(app, client, make, db, login_as):
    centre, _clinic, _school, team, organizer = world(make)
    elsewhere = make.team(make.unit(), name="别的中心的队伍")
    db.session.commit()
    login_as(organizer)
    token = csrf_token(client, "/needs/menu/new")
    bad = item_form(make, centre, elsewhere, title=" ", audience="12", remaining="10000")
    response = client.post("/needs/menu/new", data={"csrf_token": token, **bad})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for field in ("title", "audience", "team", "remaining"):
        assert f'id="{field}-error"' in html, field
    assert "请选择服务对象" in html
    other_unit = item_form(make, make.unit(), team)
    response = client.post("/needs/menu/new", data={"csrf_token": token, **other_unit})
    assert response.status_code == 404
    for junk in ({"team": "x"}, {"unit": "99999999999999999999"}, {"remaining": "-1"}):
        response = client.post(
            "/needs/menu/new", data={"csrf_token": token, **item_form(make, centre, team) | junk}
        )
        assert response.status_code in (400, 404), junk
    assert db.session.scalar(select(func.count()).select_from(ServiceItem)) == 0


def test_another_centres_item_is_not_found(app, client, make, db, login_as):
    centre, _clinic, _school, team, organizer = world(make)
    db.session.commit()
    login_as(organizer)
    token = csrf_token(client, "/needs/menu/new")
    client.post("/needs/menu/new", data={"csrf_token": token, **item_form(make, centre, team)})
    item = db.session.scalar(select(ServiceItem))
    client.post("/logout", data={"csrf_token": token})
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=make.unit(level=UnitLevel.CENTRE)))
    token = csrf_token(client, "/needs/menu")
    assert f'data-item="{item.id}"' not in client.get("/needs/menu").get_data(as_text=True)
    assert client.get(f"/needs/menu/{item.id}").status_code == 404
    for path in ("", "/withdraw", "/restore"):
        response = client.post(f"/needs/menu/{item.id}{path}", data={"csrf_token": token})
        assert response.status_code == 404, path
    db.session.expire_all()
    assert item.withdrawn_at is None and item.title == "上门测血压"


def add_item(make, db, organizer, unit, team, remaining=1, title="上门测血压"):
    from volunteer_app.needs import menu

    item = menu.create_item(
        organizer,
        unit,
        team_id=team.id,
        category_id=make.category().id,
        title=title,
        audience="03",
        remaining=remaining,
        now=utcnow(),
    )
    db.session.commit()
    return item


def order(client, station, item, **changes):
    url = f"/needs/new?station={station.id}&item={item.id}"
    token = csrf_token(client, url)
    data = {
        "csrf_token": token,
        "station": station.id,
        "item": item.id,
        "category": item.category_id,
        "title": item.title,
        "address": "吕陵镇前王庄村12号",
        "contact_name": "王桂英",
        "contact_phone": "13800005678",
        "wanted_part": "",
    }
    return client.post(url, data=data | changes)


def test_the_order_form_lists_the_stations_menu_and_an_item_prefills_it(app, client, make, db):
    centre, clinic, school, team, organizer = world(make)
    mine = add_item(make, db, organizer, centre, team)
    here = add_item(
        make, db, make.user(unit=clinic), clinic, team, title="健康讲座", remaining=None
    )
    booked = add_item(make, db, organizer, centre, team, title="代购药品", remaining=0)
    gone = add_item(make, db, organizer, centre, team, title="陪同就医")
    gone.withdrawn_at = utcnow()
    other_centre = make.unit(level=UnitLevel.CENTRE)
    other_team = make.team(other_centre)
    add_item(
        make,
        db,
        make.user(role=Role.CENTRE_ORGANIZER, unit=other_centre),
        other_centre,
        other_team,
        title="别处的服务",
    )
    db.session.commit()
    page = client.get(f"/needs/new?station={clinic.id}").get_data(as_text=True)
    cards = page[page.index('id="menu-cards"') : page.index('id="form-title"')]
    assert "上门测血压" in cards and "健康讲座" in cards and "代购药品" in cards
    assert "陪同就医" not in cards and "别处的服务" not in cards
    assert f"item={mine.id}" in cards and f"item={here.id}" in cards
    assert f"item={booked.id}" not in cards and "已约满" in cards
    assert "预约此项服务" in cards and "还可预约 1 次" in cards
    at_school = client.get(f"/needs/new?station={school.id}").get_data(as_text=True)
    assert "上门测血压" in at_school and "健康讲座" not in at_school  # the clinic's own
    chosen = client.get(f"/needs/new?station={clinic.id}&item={mine.id}").get_data(as_text=True)
    assert 'value="上门测血压"' in chosen and "吕陵镇卫生院医护志愿服务队提供" in chosen
    assert re.search(rf'name="item" type="hidden" value="{mine.id}"', chosen)
    full = client.get(f"/needs/new?station={clinic.id}&item={booked.id}").get_data(as_text=True)
    assert "该服务已约满" in full and 'name="item" type="hidden" value=""' in full
    for junk in ("x", "99999999999999999999", str(gone.id)):
        assert client.get(f"/needs/new?station={clinic.id}&item={junk}").status_code == 200


def test_ordering_from_the_menu_takes_the_last_time_and_the_next_resident_is_told(
    app, client, make, db
):
    centre, clinic, school, team, organizer = world(make)
    item = add_item(make, db, organizer, centre, team, remaining=1)
    placed = order(client, clinic, item)
    assert placed.status_code == 302 and "/n/" in placed.headers["Location"]
    need = db.session.scalar(select(Need))
    assert need.menu_item_id == item.id and need.station_id == clinic.id
    db.session.expire_all()
    assert item.remaining == 0
    refused = order(client, school, item, contact_name="李大爷", contact_phone="13800009999")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "该服务已约满" in html
    assert 'value="李大爷"' in html and 'value="13800009999"' in html  # the form is kept
    assert db.session.scalar(select(func.count()).select_from(Need)) == 1
    elsewhere = make.unit()
    db.session.commit()
    not_here = order(client, elsewhere, item)
    assert not_here.status_code == 400 and "不提供该服务" in not_here.get_data(as_text=True)
    # the resident withdraws: the time is free again
    token = csrf_token(client, placed.headers["Location"])
    client.post(placed.headers["Location"] + "/withdraw", data={"csrf_token": token})
    db.session.expire_all()
    assert item.remaining == 1
    assert order(client, school, item, contact_phone="13800009999").status_code == 302


def test_an_order_from_the_menu_preselects_its_provider_for_dispatch(
    app, client, make, db, login_as
):
    centre, clinic, _school, team, organizer = world(make)
    make.team(centre, name="吕陵镇青年志愿服务队")  # first by name, so not chosen by default
    item = add_item(make, db, organizer, centre, team)
    order(client, clinic, item)
    need = db.session.scalar(select(Need))
    login_as(organizer)
    token = csrf_token(client, f"/needs/{need.id}")
    client.post(f"/needs/{need.id}/steps/accept", data={"csrf_token": token})
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "来自服务菜单" in page
    assert f'<option selected value="{team.id}">' in page
    plain = make.need(clinic, title="自己写的需求", status=need.status)
    db.session.commit()
    assert (
        "<option selected"
        not in client.get(f"/needs/{plain.id}")
        .get_data(as_text=True)
        .split('id="team"')[1]
        .split("</select>")[0]
    )
