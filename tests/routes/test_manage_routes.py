"""Organizer management pages: edit, status, duplicate, hours review, audit log, scoping."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.checkins import services
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow

from ..conftest import csrf_token


def ended_activity(make, **kwargs):
    start = (utcnow() - timedelta(hours=4)).replace(microsecond=0)
    return make.activity(starts_at=start, minutes=180, **kwargs)


def post(client, url, page, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def test_publish_then_finish_with_audit_on_the_page(client, make, db, login_as):
    activity = make.activity(status=ActivityStatus.DRAFT)
    login_as(make.user(unit=activity.unit))
    page = f"/activities/{activity.id}"
    html = client.get(page).get_data(as_text=True)
    assert "草稿" in html and "发布" in html
    response = post(client, f"{page}/status", page, target="published")
    assert response.status_code == 302
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PUBLISHED
    response = post(client, f"{page}/status", page, target="finished")
    html = client.get(page).get_data(as_text=True)
    assert "活动结束后才能进行此操作。" in html  # not ended yet
    assert "状态变更" in html  # the audit log shows the publication


def test_bad_status_target_is_refused_without_500(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    page = f"/activities/{activity.id}"
    response = post(client, f"{page}/status", page, target="deleted")
    assert response.status_code == 302
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PUBLISHED


def test_edit_and_locked_after_finish(client, make, db, login_as):
    activity = make.activity(title="旧名称")
    login_as(make.user(unit=activity.unit))
    url = f"/activities/{activity.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert "旧名称" in html and 'name="rotate_seconds"' in html
    data = {
        "title": "交通劝导",
        "category_id": activity.category_id,
        "unit_id": activity.unit_id,
        "place": "万福中心校门口",
        "starts_at": "2030-03-05T07:00",
        "ends_at": "2030-03-05T08:30",
        "capacity": "5",
        "description": "",
        "rotate_seconds": "20",
    }
    response = post(client, url, url, **data)
    assert response.status_code == 302
    db.session.refresh(activity)
    assert activity.title == "交通劝导" and activity.rotate_seconds == 20
    assert activity.allow_static_code is False  # unchecked box
    assert activity.starts_at.hour == 23  # 07:00 Beijing = 23:00 UTC the day before
    response = post(client, url, url, **{**data, "rotate_seconds": "3"})
    assert response.status_code == 400 and "请输入 10 到 600 之间的数字。" in response.get_data(
        as_text=True
    )
    activity.status = ActivityStatus.CANCELLED
    response = post(client, url, url, **data)
    assert response.status_code == 400
    assert "已结束或已取消的活动不能再修改。" in response.get_data(as_text=True)


def test_duplicate_as_draft(client, make, db, login_as):
    activity = make.activity(title="植树绿化")
    login_as(make.user(unit=activity.unit))
    url = f"/activities/{activity.id}/duplicate"
    response = post(client, url, url, starts_at="2030-04-01T08:00")
    assert response.status_code == 302
    copy = db.session.scalar(select(Activity).where(Activity.id != activity.id))
    assert copy.title == "植树绿化" and copy.status == ActivityStatus.DRAFT
    assert response.headers["Location"] == f"/activities/{copy.id}"
    response = post(client, url, url, starts_at="")
    assert response.status_code == 400 and "请填写开始时间。" in response.get_data(as_text=True)


def test_close_adjust_confirm_journey(client, make, db, login_as):
    activity = ended_activity(make)
    user = login_as(make.user(unit=activity.unit))
    left, forgot = make.volunteer("王芳"), make.volunteer("张伟")
    services.check_in(activity, left, now=activity.starts_at)
    services.check_out(activity, left, now=activity.starts_at + timedelta(hours=2))
    services.check_in(activity, forgot, now=activity.starts_at)
    page = f"/activities/{activity.id}"
    html = client.get(page).get_data(as_text=True)
    assert "未签退" in html and "仍在签到中" in html

    response = post(client, f"{page}/confirm", page)
    assert "还有志愿者未签退" in client.get(response.headers["Location"]).get_data(as_text=True)

    response = post(client, f"{page}/close-checkins", page)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已关闭 1 条未签退记录" in html and "待复核" in html

    record = services.find_record(activity.id, forgot.id)
    adjust = f"{page}/checkins/{record.id}/adjust"
    assert 'value="3.0"' in client.get(adjust).get_data(as_text=True)  # suggested: whole stay
    response = post(client, adjust, adjust, hours="2.5", reason="")
    assert response.status_code == 400 and "请填写修改原因。" in response.get_data(as_text=True)
    response = post(client, adjust, adjust, hours="1.2", reason="提前离开")
    assert response.status_code == 400
    assert "时长以 0.5 小时为单位" in response.get_data(as_text=True)
    response = post(client, adjust, adjust, hours="abc", reason="提前离开")
    assert response.status_code == 400
    response = post(client, adjust, adjust, hours="2.5", reason="10点半离开，忘记签退")
    assert response.status_code == 302
    db.session.refresh(record)
    assert record.minutes == 150 and record.origin == HoursOrigin.ORGANIZER
    assert record.recorded_by_id == user.id and not record.needs_review

    response = post(client, f"{page}/confirm", page)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已确认 2 名志愿者的服务时长。" in html
    assert "10点半离开，忘记签退" in html and "3 小时 → 2.5 小时" not in html
    assert "0 小时 → 2.5 小时" in html
    statuses = db.session.scalars(select(CheckIn.status)).all()
    assert set(statuses) == {HoursStatus.CONFIRMED}
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.FINISHED


def test_keep_zero_after_review(client, make, db, login_as):
    activity = ended_activity(make)
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    page = f"/activities/{activity.id}"
    post(client, f"{page}/close-checkins", page)
    record = services.find_record(activity.id, volunteer.id)
    response = post(client, f"{page}/checkins/{record.id}/keep", page)
    assert response.status_code == 302
    db.session.refresh(record)
    assert not record.needs_review and record.minutes == 0


def test_capacity_reached_is_flagged_not_refused(client, make, db, login_as):
    activity = make.activity(capacity=1)
    login_as(make.user(unit=activity.unit))
    for name in ("甲", "乙"):
        services.check_in(activity, make.volunteer(name), now=utcnow())
    html = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "超员" in html and "已达到所需人数" in html


@pytest.mark.parametrize("status", [ActivityStatus.DRAFT, ActivityStatus.CANCELLED])
def test_volunteer_sees_why_a_draft_or_cancelled_activity_refuses(client, make, db, app, status):
    activity = make.activity(status=status)
    volunteer_page = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    html = client.get(volunteer_page).get_data(as_text=True)
    expected = "本次活动尚未发布。" if status == ActivityStatus.DRAFT else "本次活动已取消。"
    assert expected in html
    assert 'name="action"' not in html  # no button that can only fail


def test_cli_close_checkins(runner, make, db):
    activity = ended_activity(make)
    activity.starts_at -= timedelta(hours=3)
    activity.ends_at -= timedelta(hours=3)
    volunteer = make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    db.session.commit()
    result = runner.invoke(args=["close-checkins"])
    assert result.exit_code == 0 and "Closed 1 open check-ins" in result.output
    record = db.session.scalar(select(CheckIn))
    assert record.needs_review and record.checked_out_at is not None


def test_overdue_notice_on_the_list(client, make, db, login_as):
    activity = make.activity(title="三十天前", starts_at=utcnow() - timedelta(days=30))
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    services.check_out(activity, volunteer, now=activity.starts_at + timedelta(hours=1))
    html = client.get("/activities").get_data(as_text=True)
    assert "超过 10 个工作日未确认时长" in html


MANAGE_GETS = ["/edit", "/duplicate"]
MANAGE_POSTS = ["/status", "/close-checkins", "/confirm", "/edit", "/duplicate"]


def test_scoping_of_management_routes(client, make, db, login_as):
    theirs = ended_activity(make)
    volunteer = make.volunteer()
    record = services.check_in(theirs, volunteer, now=theirs.starts_at)
    mine = make.activity()
    db.session.commit()
    base = f"/activities/{theirs.id}"
    record_urls = [f"{base}/checkins/{record.id}/adjust", f"{base}/checkins/{record.id}/keep"]
    # anonymous: sent to the login page
    for suffix in MANAGE_GETS:
        response = client.get(base + suffix)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=mine.unit))
    token = csrf_token(client, f"/activities/{mine.id}")
    for suffix in MANAGE_GETS:
        assert client.get(base + suffix).status_code == 404
    for suffix in MANAGE_POSTS:
        response = client.post(base + suffix, data={"csrf_token": token, "target": "cancelled"})
        assert response.status_code == 404, suffix
    assert client.get(record_urls[0]).status_code == 404
    for url in record_urls:
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    # my activity, their record id: still 404
    url = f"/activities/{mine.id}/checkins/{record.id}/adjust"
    assert client.get(url).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 2
    db.session.refresh(theirs)
    assert theirs.status == ActivityStatus.PUBLISHED


def test_poster_page_and_scoping(client, make, db, login_as, app):
    mine = make.activity(title="我的活动", allow_static_code=False)
    theirs = make.activity()
    db.session.commit()
    response = client.get(f"/activities/{mine.id}/poster")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=mine.unit))
    html = client.get(f"/activities/{mine.id}/poster").get_data(as_text=True)
    assert "我的活动" in html and "<svg" in html and "js/print.js" in html
    assert "海报上的二维码将无法签到" in html  # static code switched off
    assert client.get(f"/activities/{theirs.id}/poster").status_code == 404
