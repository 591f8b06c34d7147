"""Discovery, sign-up and cancel for volunteers; the sign-up list for organizers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.activities.models import ActivityStatus, Signup
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.volunteers.models import Volunteer

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin


def tomorrow():
    return utcnow().replace(microsecond=0) + timedelta(days=1)


def post(client, url, **data):
    """POST with the session's CSRF token (any form page gives it; sign-in always has one)."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/me/sign-in"), **data})


def active_signups(db) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Signup).where(Signup.cancelled_at.is_(None))
    )


def test_discovery_filters_by_station_category_and_date(app, db, client, make):
    wanfu = make.unit(name="万福社区")
    lvling = make.unit(name="吕陵小学")
    make.activity(wanfu, title="测血压", starts_at=tomorrow())
    make.activity(lvling, title="主题班会", starts_at=tomorrow() + timedelta(days=3))
    make.activity(wanfu, title="草稿活动", starts_at=tomorrow(), status=ActivityStatus.DRAFT)
    make.activity(wanfu, title="已结束活动", starts_at=utcnow() - timedelta(days=3))
    db.session.commit()
    html = client.get("/discover").get_data(as_text=True)
    assert "测血压" in html and "主题班会" in html
    assert "草稿活动" not in html and "已结束活动" not in html
    only_wanfu = client.get(f"/discover?station={wanfu.id}").get_data(as_text=True)
    assert "测血压" in only_wanfu and "主题班会" not in only_wanfu
    day = (tomorrow() + timedelta(days=3) + timedelta(hours=8)).date().isoformat()
    on_day = client.get(f"/discover?date={day}").get_data(as_text=True)
    assert "主题班会" in on_day and "测血压" not in on_day
    bad = client.get("/discover?date=2026-13-45&station=abc")
    assert bad.status_code == 400 and "请选择有效的日期" in bad.get_data(as_text=True)
    assert "请从列表中选择站点和类别" in bad.get_data(as_text=True)
    for query in ("date=0001-01-01", "date=9999-12-31", "station=2147483648", "category=²"):
        refused = client.get(f"/discover?{query}")
        assert refused.status_code == 400 and "测血压" in refused.get_data(as_text=True), query
    other_category = make.category("greening")
    db.session.commit()
    none = client.get(f"/discover?category={other_category.id}").get_data(as_text=True)
    assert "没有符合条件的近期活动" in none


def test_draft_activities_are_not_public(app, db, client, make):
    draft = make.activity(starts_at=tomorrow(), status=ActivityStatus.DRAFT)
    db.session.commit()
    assert client.get(f"/discover/{draft.id}").status_code == 404


def test_sign_up_cancel_and_sign_up_again(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    activity = make.activity(title="植树", starts_at=tomorrow(), capacity=5)
    db.session.commit()
    page = f"/discover/{activity.id}"
    assert "请先登录或注册后再报名" in client.get(page).get_data(as_text=True)
    # Signing up needs a remembered device: strangers are sent to sign in.
    token = csrf_token(client, "/me/sign-in")
    anonymous = client.post(f"{page}/sign-up", data={"csrf_token": token})
    assert anonymous.status_code == 302 and "/me/sign-in" in anonymous.headers["Location"]
    assert active_signups(db) == 0

    response = client.post(
        f"/me/sign-in?next={page}",
        data={"csrf_token": token, "phone": "13812341234", "pin": PIN},
    )
    assert response.headers["Location"].endswith(page)
    assert post(client, f"{page}/sign-up").status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "您已报名" in html and "已报名 1 / 5 人" in html
    again = post(client, f"{page}/sign-up")
    assert "您已报名该活动" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert active_signups(db) == 1
    assert post(client, f"{page}/cancel").status_code == 302
    assert active_signups(db) == 0
    assert post(client, f"{page}/sign-up").status_code == 302
    assert active_signups(db) == 1 and db.session.scalar(select(func.count(Signup.id))) == 1


def test_full_and_started_activities_refuse(app, db, client, make):
    first = with_pin(make.volunteer(phone="13812341234"))
    with_pin(make.volunteer(phone="13912341234"))
    full = make.activity(title="满员", starts_at=tomorrow(), capacity=1)
    running = make.activity(title="进行中")
    db.session.add(Signup(activity=full, volunteer=first, created_at=utcnow()))
    db.session.commit()
    sign_in(client, "13912341234", PIN)
    page = f"/discover/{full.id}"
    refused = post(client, f"{page}/sign-up")
    assert "该活动名额已满" in client.get(refused.headers["Location"]).get_data(as_text=True)
    page = f"/discover/{running.id}"
    assert "报名已截止" in client.get(page).get_data(as_text=True)
    refused = post(client, f"{page}/sign-up")
    assert "活动已开始" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert active_signups(db) == 1


def test_register_without_check_in_then_sign_up(app, db, client, make):
    activity = make.activity(starts_at=tomorrow())
    db.session.commit()
    page = f"/discover/{activity.id}"
    url = f"/me/register?next={page}"
    data = {"name": "陈静", "phone": "13700001111", "pin": "8264", "consent": "y"}
    refused = post(client, url, **{**data, "consent": ""})
    assert refused.status_code == 400 and "请勾选同意" in refused.get_data(as_text=True)
    response = post(client, url, **data)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    volunteer = db.session.scalar(select(Volunteer))
    assert volunteer.consent_version == app.config["CONSENT_VERSION"]
    assert volunteer.consented_at is not None
    assert post(client, f"{page}/sign-up").status_code == 302
    # The same number cannot be registered again by someone else without the PIN.
    stranger = app.test_client()
    taken = post(stranger, "/me/register", **{**data, "pin": "1357"})
    assert taken.status_code == 401 and stranger.get_cookie("vdev") is None


def test_organizer_sees_sign_ups_with_masked_phones_and_count(app, db, client, make, login_as):
    activity = make.activity(title="交通劝导", starts_at=tomorrow(), capacity=10)
    organizer = make.user(unit=activity.unit)
    volunteer = make.volunteer(name="赵磊", phone="13812341234")
    db.session.add(Signup(activity=activity, volunteer=volunteer, created_at=utcnow()))
    db.session.commit()
    login_as(organizer)
    html = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "报名情况" in html and "已报名 1 / 10 人" in html
    assert "赵磊" in html and "138****1234" in html and "13812341234" not in html
    other = make.user()
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/activities")})
    login_as(other)
    assert client.get(f"/activities/{activity.id}").status_code == 404


def test_signed_up_volunteer_checks_in_with_one_tap(app, db, client, make):
    volunteer = with_pin(make.volunteer(phone="13812341234"))
    activity = make.activity(starts_at=utcnow() + timedelta(minutes=20))
    db.session.add(Signup(activity=activity, volunteer=volunteer, created_at=utcnow()))
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    page = client.get(path).get_data(as_text=True)
    assert "您已报名本次活动" in page and "姓名" not in page
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "action": "check_in"}
    )
    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)
