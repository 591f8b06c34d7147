"""The unit pages: the tree, a unit's page and its forms, scoping, archived units."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.database import utcnow
from volunteer_app.stations.models import Unit, UnitLevel

from ..conftest import csrf_token


@pytest.fixture
def network(make, db):
    """区 → 所 万福街道 (站 万福社区, 万福中心校), 所 吕陵镇 (站 吕陵小学); organizers."""
    d = make.unit("菏泽高新区", level=UnitLevel.DISTRICT)
    c1 = make.unit("万福街道", level=UnitLevel.CENTRE, parent=d)
    c2 = make.unit("吕陵镇", level=UnitLevel.CENTRE, parent=d)
    s1 = make.unit("万福社区", parent=c1)
    s1.contact_name, s1.contact_phone = "王建国", "13800001002"
    s2 = make.unit("万福中心校", parent=c1)
    s3 = make.unit("吕陵小学", parent=c2)
    n = {"d": d, "c1": c1, "c2": c2, "s1": s1, "s2": s2, "s3": s3}
    n["admin"] = make.user("admin", role=Role.DISTRICT_ADMIN, unit=d)
    n["wanfu"] = make.user("wanfu", role=Role.CENTRE_ORGANIZER, unit=c1)
    n["keeper"] = make.user("keeper", unit=s1)
    db.session.commit()
    return n


def post(client, url, page, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_tree_shows_every_level_with_figures_and_masked_phones(
    client, login_as, make, db, network
):
    n = network
    make.activity(n["s1"])
    db.session.commit()
    login_as(n["admin"])
    html = client.get("/units").get_data(as_text=True)
    for name in ("菏泽高新区", "万福街道", "吕陵镇", "万福社区", "万福中心校", "吕陵小学"):
        assert name in html
    assert "站点" in html and "组织者" in html and "已确认时长" in html
    assert "138****1002" in html and "13800001002" not in html
    assert 'href="/units"' in client.get("/activities").get_data(as_text=True)  # nav link


def test_a_units_page_shows_its_fields_in_full_and_the_form_to_add(client, login_as, db, network):
    n = network
    login_as(n["admin"])
    html = client.get(f"/units/{n['s1'].id}").get_data(as_text=True)
    assert "13800001002" in html and "王建国" in html
    centre = client.get(f"/units/{n['c1'].id}").get_data(as_text=True)
    assert '<label for="name">名称</label>' in centre
    assert "万福社区" in centre and "138****1002" in centre and "13800001002" not in centre


def test_the_district_admin_adds_renames_moves_and_archives(client, login_as, db, network):
    n = network
    login_as(n["admin"])
    page = f"/units/{n['d'].id}"
    response = post(client, f"{page}/children", page, name="吕陵镇", level="centre")
    assert response.status_code == 400
    assert "同一上级单位下已有同名单位" in response.get_data(as_text=True)
    response = post(
        client, f"{page}/children", page, name="黄堽镇", level="centre", intro="x" * 501
    )
    assert response.status_code == 400 and "最多 500 个字" in response.get_data(as_text=True)
    response = post(client, f"{page}/children", page, name="黄堽镇", level="centre")
    assert response.status_code == 302
    centre = db.session.scalar(select(Unit).where(Unit.name == "黄堽镇"))
    assert centre.level is UnitLevel.CENTRE and centre.parent_id == n["d"].id

    page = f"/units/{n['s2'].id}"
    edit = f"{page}/edit"
    response = post(client, edit, edit, name="万福中心小学", address="万福路 8 号")
    assert response.status_code == 302
    response = post(client, f"{page}/move", page, parent_id=centre.id)
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Unit, n["s2"].id)
    assert moved.name == "万福中心小学" and moved.parent_id == centre.id
    assert moved.address == "万福路 8 号"
    response = post(client, f"{page}/archive", page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, n["s2"].id).is_archived
    html = client.get("/units").get_data(as_text=True)
    assert "已归档" in html
    assert actions(db) == ["unit.create", "unit.rename", "unit.update", "unit.move", "unit.archive"]
    html = client.get(page).get_data(as_text=True)
    assert "恢复此单位" in html
    response = post(client, f"{page}/restore", page)
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Unit, n["s2"].id).is_archived
    assert "恢复此单位" not in client.get(page).get_data(as_text=True)
    assert actions(db)[-1] == "unit.restore"


def test_a_centre_organizer_manages_the_stations_under_them_only(client, login_as, db, network):
    n = network
    login_as(n["wanfu"])
    html = client.get("/units").get_data(as_text=True)
    assert "万福社区" in html and "吕陵" not in html
    page = f"/units/{n['c1'].id}"
    response = post(client, f"{page}/children", page, name="万福新村", level="station")
    assert response.status_code == 302
    station = f"/units/{n['s1'].id}"
    response = post(client, f"{station}/edit", f"{station}/edit", name="万福社区站")
    assert response.status_code == 302
    assert "调整到其他实践所" not in client.get(station).get_data(as_text=True)
    # their own centre is the district admin's to change
    assert client.get(f"{page}/edit").status_code == 403
    assert post(client, f"{page}/archive", page).status_code == 403
    # another centre's units do not exist for them
    token = csrf_token(client, page)
    for unit in (n["c2"], n["s3"], n["d"]):
        assert client.get(f"/units/{unit.id}").status_code == 404
        for verb, data in [
            ("children", {"name": "x", "level": "station"}),
            ("edit", {"name": "x"}),
            ("move", {"parent_id": n["c1"].id}),
            ("archive", {}),
            ("restore", {}),
        ]:
            response = client.post(f"/units/{unit.id}/{verb}", data={"csrf_token": token, **data})
            assert response.status_code == 404, (unit.name, verb)
    # nor may they move a station into another centre
    response = client.post(f"{station}/move", data={"csrf_token": token, "parent_id": n["c2"].id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, n["s1"].id).parent_id == n["c1"].id
    assert db.session.get(Unit, n["c2"].id).name == "吕陵镇"
    assert actions(db) == ["unit.create", "unit.rename"]


def test_a_station_organizer_sees_their_station_and_adds_nothing(client, login_as, db, network):
    n = network
    login_as(n["keeper"])
    html = client.get("/units").get_data(as_text=True)
    assert "万福社区" in html and "万福中心校" not in html
    page = f"/units/{n['s1'].id}"
    assert "添加单位" not in client.get(page).get_data(as_text=True)
    response = post(client, f"{page}/children", page, name="小组", level="station")
    assert response.status_code == 403
    assert post(client, f"{page}/edit", page, name="改名").status_code == 403
    assert client.get(f"/units/{n['s2'].id}").status_code == 404
    assert actions(db) == []


def test_an_archived_unit_takes_no_new_activities(client, login_as, make, db, network):
    n = network
    past = make.activity(n["s2"], title="旧活动", starts_at=utcnow() - timedelta(days=3))
    n["s2"].archived_at = utcnow()
    db.session.commit()
    login_as(n["wanfu"])
    new = client.get("/activities/new").get_data(as_text=True)
    assert "万福社区" in new and "万福中心校" not in new  # left the picker
    data = {
        "title": "交通劝导",
        "category_id": past.category_id,
        "unit_id": n["s2"].id,
        "place": "万福中心校门口",
        "starts_at": "2030-03-05T07:00",
        "ends_at": "2030-03-05T08:30",
    }
    response = post(client, "/activities/new", "/activities/new", **data)
    assert response.status_code == 400  # not a choice any more
    # history stays editable where it is, and shows where it was
    edit = f"/activities/{past.id}/edit"
    assert "万福中心校（已归档）" in client.get(edit).get_data(as_text=True)
    response = post(client, edit, edit, **{**data, "title": "旧活动（更正）"})
    assert response.status_code == 302
    # but no activity moves to it
    other = make.activity(n["s1"])
    db.session.commit()
    edit = f"/activities/{other.id}/edit"
    response = post(client, edit, edit, **data)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(type(other), other.id).unit_id == n["s1"].id
    assert "万福中心校" in client.get(f"/units/{n['s2'].id}").get_data(as_text=True)


def test_the_activity_services_refuse_an_archived_unit(make, db, network):
    from volunteer_app.activities import services
    from volunteer_app.activities.services import ActivityError

    n = network
    n["s2"].archived_at = utcnow()
    start = utcnow() + timedelta(days=1)
    with pytest.raises(ActivityError) as caught:
        services.create_activity(
            n["wanfu"],
            title="植树",
            category_id=make.category().id,
            unit_id=n["s2"].id,
            place="万福河畔",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            now=utcnow(),
        )
    assert caught.value.code == "unit_archived"


# --- races (tests/races.py) -----------------------------------------------------------------


def test_two_archives_at_once_archive_once(app, db, make, network):
    from ..races import Race
    from .test_races import _post_as

    n = network
    other_admin = make.user("admin2", role=Role.DISTRICT_ADMIN, unit=n["d"])
    db.session.commit()
    page = f"/units/{n['s2'].id}"
    race = Race(app, db)
    first, second = (SimpleNamespace(username=u.username) for u in (n["admin"], other_admin))
    race.actor("first", _post_as(app, first, page, f"{page}/archive"))
    race.actor("second", _post_as(app, second, page, f"{page}/archive"))
    results = race.run(hold="first")
    assert {r.status_code for r in results.values()} == {200}
    assert actions(db) == ["unit.archive"]
    assert db.session.get(Unit, n["s2"].id).is_archived


def test_two_renames_at_once_log_what_each_replaced(app, db, make, network):
    from ..races import Race
    from .test_races import _post_as

    n = network
    other_admin = make.user("admin2", role=Role.DISTRICT_ADMIN, unit=n["d"])
    db.session.commit()
    url = f"/units/{n['s2'].id}/edit"
    race = Race(app, db)
    first, second = (SimpleNamespace(username=u.username) for u in (n["admin"], other_admin))
    race.actor("first", _post_as(app, first, url, url, name="万福中心小学"))
    race.actor("second", _post_as(app, second, url, url, name="万福小学"))
    race.run(hold="first")
    first, second = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "unit.rename").order_by(AuditEntry.id)
    ).all()
    assert first.old_value["name"] == "万福中心校"
    assert second.old_value["name"] == first.new_value["name"]
    assert db.session.get(Unit, n["s2"].id).name == second.new_value["name"]
