"""The resident's pages: ordering without an account (/needs/new) and the tracking link
(/n/<code>) with urging, withdrawing and rating."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.database import utcnow
from volunteer_app.needs.models import Need, NeedEvent, NeedRating, NeedStatus

from ..conftest import csrf_token


def order(client, station_, category, **changes):
    token = csrf_token(client, "/needs/new")
    data = {
        "csrf_token": token,
        "station": station_.id,
        "category": category.id,
        "title": "上门测血压",
        "description": "老人腿脚不便",
        "address": "万福街道幸福小区3号楼2单元",
        "wanted_part": "afternoon",
        "contact_name": "张桂芝",
        "contact_phone": "138 0000 1234",
    }
    return client.post("/needs/new", data=data | changes)


def test_a_resident_orders_in_one_form_and_gets_a_tracking_link(app, client, make, db):
    station = make.unit(name="万福社区新时代文明实践站")
    category = make.category()
    db.session.commit()
    page = client.get(f"/needs/new?station={station.id}").get_data(as_text=True)
    assert f'<option selected value="{station.id}">' in page
    response = order(client, station, category)
    assert response.status_code == 302 and "/n/" in response.headers["Location"]
    need = db.session.scalar(select(Need))
    assert need.contact_phone == "13800001234" and need.station_id == station.id
    tracked = client.get(response.headers["Location"])
    html = tracked.get_data(as_text=True)
    assert tracked.status_code == 200 and tracked.headers["Cache-Control"] == "no-store"
    assert "上门测血压" in html and "138****1234" in html and "13800001234" not in html
    assert "幸福小区" not in html  # never the exact address, whoever holds the link


def test_every_problem_is_shown_beside_its_field_and_nothing_is_placed(app, client, make, db):
    station, category = make.unit(), make.category()
    db.session.commit()
    response = order(client, station, category, title="", contact_name="", contact_phone="123")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for field in ("title", "contact_name", "contact_phone"):
        assert f'id="{field}-error"' in html, field
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0
    forged_station = order(client, station, category, **{"station": "999999"})
    assert forged_station.status_code == 400
    assert order(client, station, category, csrf_token="").status_code == 400


def test_a_forged_or_unknown_tracking_code_is_not_found(app, client, make, db):
    station, category = make.unit(), make.category()
    db.session.commit()
    location = order(client, station, category).headers["Location"]
    assert client.get(location[:-1] + ("A" if location[-1] != "A" else "B")).status_code == 404
    assert client.get("/n/nothing.here").status_code == 404


def test_urge_once_a_day_then_withdraw(app, client, make, db):
    station, category = make.unit(), make.category()
    db.session.commit()
    location = order(client, station, category).headers["Location"]
    token = csrf_token(client, location)
    assert client.post(f"{location}/urge", data={"csrf_token": token}).status_code == 302
    again = client.post(f"{location}/urge", data={"csrf_token": token})
    assert again.status_code == 429
    assert client.post(f"{location}/withdraw", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(Need.status)) == NeedStatus.WITHDRAWN
    late = client.post(f"{location}/withdraw", data={"csrf_token": token})
    assert late.status_code == 409
    assert client.post(f"{location}/urge").status_code == 400  # no CSRF token
    actions = db.session.scalars(select(NeedEvent.action).order_by(NeedEvent.id)).all()
    assert actions == ["submit", "urge", "withdraw"]


def test_rating_a_completed_order_once(app, client, make, db):
    station, category = make.unit(), make.category()
    db.session.commit()
    location = order(client, station, category).headers["Location"]
    need = db.session.scalar(select(Need))
    need.status, need.completed_at = NeedStatus.COMPLETED, utcnow() - timedelta(hours=1)
    db.session.commit()
    token = csrf_token(client, location)
    missing = client.post(f"{location}/rate", data={"csrf_token": token, "quality": "5"})
    assert missing.status_code == 400
    data = {"csrf_token": token, "quality": "5", "attitude": "4", "comment": "很耐心"}
    assert client.post(f"{location}/rate", data=data).status_code == 302
    assert client.post(f"{location}/rate", data=data).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(NeedRating)) == 1
    assert "服务质量 5 星，服务态度 4 星" in client.get(location).get_data(as_text=True)


def test_orders_are_limited_per_number(app, make, db):
    from volunteer_app import create_app
    from volunteer_app.extensions import limiter

    from ..conftest import FreshContextClient

    station, category = make.unit(), make.category()
    db.session.commit()
    limited = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "NEED_RATE_LIMIT_NUMBER": "2 per day",
        }
    )
    limited.test_client_class = FreshContextClient
    with limited.app_context():
        limiter.reset()
    try:
        client = limited.test_client()
        bad = order(client, station, category, title="")  # a form sent back counts not
        statuses = [
            order(client, station, category, address=f"幸福小区{i}号").status_code for i in range(3)
        ]
        assert bad.status_code == 400 and statuses == [302, 302, 429]
        other = order(client, station, category, contact_phone="13900001111", address="别处")
        assert other.status_code == 302
    finally:
        with limited.app_context():
            limiter.reset()
            from volunteer_app.extensions import db as _db

            _db.engine.dispose()


def test_the_public_board_shows_orders_being_served_masked(app, client, make, db):
    from volunteer_app.needs.public import mask_name

    station = make.unit(name="万福社区新时代文明实践站")
    team = make.team(station)
    make.need(station, title="上门测血压", status=NeedStatus.DISPATCHED, team_id=team.id)
    make.need(station, title="被拒绝的需求", status=NeedStatus.REJECTED)
    make.need(station, title="刚提交的需求")
    make.need(station, title="撤销的需求", status=NeedStatus.WITHDRAWN)
    db.session.commit()
    html = client.get("/needs").get_data(as_text=True)
    assert "上门测血压" in html and "张**" in html
    for hidden in ("被拒绝的需求", "刚提交的需求", "撤销的需求", "张桂芝", "幸福小区", "137"):
        assert hidden not in html, hidden
    assert mask_name("欧阳秀英") == "欧***" and mask_name("李") == "李**"


def test_the_order_poster_is_for_the_organizers_own_stations(app, client, make, db, login_as):
    station, elsewhere = make.unit(name="万福社区新时代文明实践站"), make.unit()
    db.session.commit()
    login_as(make.user(unit=station))
    page = client.get(f"/needs/poster?unit={station.id}").get_data(as_text=True)
    assert f"/needs/new?station={station.id}" in page and "<svg" in page
    assert client.get(f"/needs/poster?unit={elsewhere.id}").status_code == 404


def test_the_resident_exports_and_once_it_ended_erases_their_details(app, client, make, db):
    station, category = make.unit(), make.category()
    db.session.commit()
    location = order(client, station, category).headers["Location"]
    exported = client.get(f"{location}/export.json")
    assert exported.status_code == 200 and exported.json["contact_phone"] == "13800001234"
    assert exported.headers["Cache-Control"] == "no-store"
    token = csrf_token(client, location)
    running = client.post(f"{location}/erase", data={"csrf_token": token})
    assert running.status_code == 409
    assert client.post(f"{location}/withdraw", data={"csrf_token": token}).status_code == 302
    assert client.post(f"{location}/erase", data={"csrf_token": token}).status_code == 302
    need = db.session.scalar(select(Need))
    db.session.refresh(need)
    assert need.erased_at is not None and need.contact_phone == "" and need.address == ""
    assert "张桂芝" not in client.get(location).get_data(as_text=True)
    assert client.post(f"{location}/erase", data={"csrf_token": token}).status_code == 409
    actions = db.session.scalars(select(NeedEvent.action).order_by(NeedEvent.id)).all()
    assert actions == ["submit", "withdraw", "erase"]


def test_the_public_activity_page_leads_to_ordering_at_the_chosen_station(app, client, make, db):
    station = make.unit(name="万福社区新时代文明实践站")
    db.session.commit()
    html = client.get(f"/discover?station={station.id}").get_data(as_text=True)
    assert "需要志愿服务？" in html
    assert f'href="/needs/new?station={station.id}"' in html
    assert f'href="/needs?station={station.id}"' in html
    assert 'href="/needs/new"' in client.get("/discover").get_data(as_text=True)
