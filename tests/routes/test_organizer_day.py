"""The organizer's day: a walk-in after the end, drafts, the Lei Feng Day shortcut."""

from datetime import date, timedelta

from sqlalchemy import select

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.reports import routes as report_routes

from ..conftest import csrf_token
from .test_organizer import activity_form


def test_a_walk_in_after_check_in_closed_is_led_to_add_hours(client, make, db, login_as):
    activity = make.activity(starts_at=(utcnow() - timedelta(hours=5)).replace(microsecond=0))
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    page = f"/activities/{activity.id}/checkin"
    data = {"csrf_token": csrf_token(client, page), "name": "赵振东", "phone": "13812340001"}
    data |= {"consent": "y", "check_in_now": "y"}
    response = client.post(f"/activities/{activity.id}/walk-in", data=data)
    assert response.status_code == 302
    volunteer_id = db.session.scalar(select(CheckIn.volunteer_id)) or None
    assert volunteer_id is None  # registered, not checked in
    assert "/add-hours" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    flashes = [line for line in html.splitlines() if 'class="flash' in line]
    assert len(flashes) == 1 and "flash-info" in flashes[0]
    assert "已登记赵振东。签到已结束，未为其签到。请在此补录其服务时长" in flashes[0]
    assert f"/activities/{activity.id}/sheet" in html  # the paper sheet, for several people
    assert "补录时长" in html and 'name="hours"' in html


def test_a_walk_in_while_open_is_checked_in_as_before(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    page = f"/activities/{activity.id}/checkin"
    data = {"csrf_token": csrf_token(client, page), "name": "赵振东", "phone": "13812340001"}
    data |= {"consent": "y", "check_in_now": "y"}
    response = client.post(f"/activities/{activity.id}/walk-in", data=data)
    assert response.headers["Location"].endswith(page)
    html = client.get(page).get_data(as_text=True)
    assert "已登记赵振东。" in html and "已代签到 1 人：赵振东" in html and "签到已结束" not in html


def test_a_new_activity_saved_as_a_draft_then_published(client, make, db, login_as):
    user = login_as(make.user())
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    form = activity_form(make, user.unit, title="草稿里的义诊")
    response = client.post(
        "/activities/new", data={**form, "csrf_token": token, "save_draft": "保存为草稿"}
    )
    assert response.status_code == 302
    activity = db.session.scalar(select(Activity))
    assert activity.status == ActivityStatus.DRAFT
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存为草稿：发布之前志愿者看不到它。" in page
    assert "草稿里的义诊" not in client.get("/discover").get_data(as_text=True)
    assert client.get(f"/discover/{activity.id}").status_code == 404
    data = {"csrf_token": csrf_token(client, f"/activities/{activity.id}"), "target": "published"}
    assert client.post(f"/activities/{activity.id}/status", data=data).status_code == 302
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PUBLISHED
    assert "草稿里的义诊" in client.get("/discover").get_data(as_text=True)
    # the other button publishes at once, as before
    form = activity_form(make, user.unit, title="立即发布的义诊")
    client.post("/activities/new", data={**form, "csrf_token": token, "submit": "立即发布"})
    published = db.session.scalar(select(Activity).where(Activity.title == "立即发布的义诊"))
    assert published.status == ActivityStatus.PUBLISHED


def test_the_lei_feng_day_shortcut_opens_the_latest_one_reached(
    client, make, db, login_as, monkeypatch
):
    login_as(make.user())
    db.session.commit()
    for today, year in (
        (date(2027, 2, 20), 2026),  # before 5 March: last year's, not an empty day ahead
        (date(2027, 3, 5), 2027),
        (date(2027, 12, 2), 2027),
    ):
        monkeypatch.setattr(report_routes, "_today", lambda today=today: today)
        html = client.get("/reports/").get_data(as_text=True)
        assert f"period=leifeng&amp;year={year}" in html and f"{year} 学雷锋日" in html
        html = client.get("/reports/?period=leifeng").get_data(as_text=True)
        assert f"{year}年3月5日" in html


def _signed_in(app, user, base: str):
    """A client signed in on ``base`` (cookies belong to the host they were set on)."""
    import re

    from ..factories import Factory

    client = app.test_client()
    html = client.get("/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]
    data = {"username": user.username, "password": Factory.PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data, base_url=base).status_code == 302
    return client


def test_qr_pages_warn_when_the_code_points_at_this_computer(app, make, db, monkeypatch):
    from volunteer_app import lan

    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.1.20"])
    activity = make.activity()
    user = make.user(unit=activity.unit)
    db.session.commit()
    here, lan_base = "http://127.0.0.1:5000", "http://192.168.1.20:5000"
    on_loopback, on_lan = _signed_in(app, user, here), _signed_in(app, user, lan_base)
    for path in (f"/activities/{activity.id}", f"/activities/{activity.id}/poster"):
        html = on_loopback.get(path, base_url=here).get_data(as_text=True)
        assert "此二维码指向 127.0.0.1，手机无法打开" in html, path
        assert f'href="http://192.168.1.20:5000{path}"' in html
        assert 'class="alert alert-warn no-print" role="alert" id="host-warning"' in html
        html = on_lan.get(path, base_url=lan_base).get_data(as_text=True)
        assert 'id="host-warning"' not in html, path
    projector = f"/activities/{activity.id}/projector"
    html = on_loopback.get(projector, base_url=here).get_data(as_text=True)
    assert "此二维码指向 127.0.0.1" in html and f'href="{lan_base}/activities/' in html
    monkeypatch.setattr(lan, "lan_addresses", lambda: [])
    html = on_loopback.get(projector, base_url=here).get_data(as_text=True)
    assert "make run" in html and "PUBLIC_BASE_URL" in html
    app.config["PUBLIC_BASE_URL"] = "https://volunteer.example.cn"
    try:  # a configured public address is what the codes use: no warning
        html = on_loopback.get(projector, base_url=here).get_data(as_text=True)
        assert 'id="host-warning"' not in html
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
