"""Projector mode: the page, its JSON, rotating codes at the volunteer's page, scoping."""

import re
from datetime import timedelta

from volunteer_app.checkins import services
from volunteer_app.checkins.tokens import (
    current_step,
    issue_rotating_token,
    issue_token,
    verify_token,
)
from volunteer_app.database import utcnow


def test_projector_page_and_live_json(client, make, db, login_as, app):
    activity = make.activity(title="交通劝导", capacity=10, rotate_seconds=20)
    login_as(make.user(unit=activity.unit))
    services.check_in(activity, make.volunteer("李秀英"), now=utcnow())
    html = client.get(f"/activities/{activity.id}/projector").get_data(as_text=True)
    assert "交通劝导" in html and "js/projector.js" in html and "<svg" in html
    assert "每 20 秒更新一次" in html and "<script>" not in html
    data = client.get(f"/activities/{activity.id}/live.json").json
    assert data["checked_in"] == 1 and data["here"] == 1 and data["capacity"] == 10
    assert data["latest"][0]["name"] == "李*英"  # names are masked on a shared screen
    assert 0 < data["next_in"] <= 20 and data["period"] == 20
    token = data["url"].rsplit("/c/", 1)[1]
    claims = verify_token(app.config["SECRET_KEY"], token)
    assert claims.kind == "rotating" and claims.activity_id == activity.id
    assert abs(claims.step - current_step(utcnow(), 20)) <= 1


def test_volunteer_page_accepts_fresh_and_refuses_stale_rotating_codes(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    key = app.config["SECRET_KEY"]
    fresh = issue_rotating_token(key, activity.id, current_step(utcnow(), 30))
    stale = issue_rotating_token(key, activity.id, current_step(utcnow(), 30) - 3)
    assert client.get(f"/c/{fresh}").status_code == 200
    response = client.get(f"/c/{stale}")
    assert response.status_code == 400
    assert "二维码已过期" in response.get_data(as_text=True)


def test_submit_grace_lets_a_first_timer_finish_typing(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    # shown about 2.5 minutes ago: too old to open, still fine to submit (grace 300 s)
    step = current_step(utcnow() - timedelta(seconds=150), 30)
    path = "/c/" + issue_rotating_token(app.config["SECRET_KEY"], activity.id, step)
    assert client.get(path).status_code == 400
    static_page = "/c/" + issue_token(app.config["SECRET_KEY"], activity.id)
    html = client.get(static_page).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    response = client.post(
        path,
        data={
            "csrf_token": csrf,
            "action": "check_in",
            "name": "李秀英",
            "phone": "13812341234",
            "pin": "2580",
            "consent": "y",
        },
    )
    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)


def test_static_code_can_be_switched_off(client, make, db, app):
    activity = make.activity(allow_static_code=False)
    db.session.commit()
    response = client.get("/c/" + issue_token(app.config["SECRET_KEY"], activity.id))
    assert response.status_code == 400
    assert "只接受现场屏幕上的二维码" in response.get_data(as_text=True)


def test_projector_scoping(client, make, db, login_as):
    theirs = make.activity()
    mine = make.activity()
    db.session.commit()
    for suffix in ("/projector", "/live.json"):
        response = client.get(f"/activities/{theirs.id}{suffix}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=mine.unit))
    for suffix in ("/projector", "/live.json"):
        assert client.get(f"/activities/{theirs.id}{suffix}").status_code == 404
        assert client.get(f"/activities/{mine.id}{suffix}").status_code == 200


def test_kiosk_link_shows_only_the_projector_without_a_session(app, client, make, db, login_as):
    import re as _re
    from datetime import timedelta as _td

    activity = make.activity(title="入口平板")
    other = make.activity()
    login_as(make.user(unit=activity.unit))
    html = client.get(f"/activities/{activity.id}/projector").get_data(as_text=True)
    kiosk = _re.search(r"http://localhost(/k/[\w.-]+)", html).group(1)
    anonymous = app.test_client()
    page = anonymous.get(kiosk)
    assert page.status_code == 200 and "入口平板" in page.get_data(as_text=True)
    assert "返回活动" not in page.get_data(as_text=True)
    data = anonymous.get(kiosk + "/live.json").json
    assert "/c/r" in data["url"] and data["checked_in"] == 0
    assert anonymous.get(f"/activities/{activity.id}/projector").status_code == 302
    assert anonymous.get(kiosk.replace("/k/", "/k/x")).status_code == 404
    # only its own activity; none once check-out has closed or the activity is cancelled
    assert anonymous.get(f"/k/{other.id}").status_code == 404
    activity.starts_at -= _td(days=2)
    activity.ends_at -= _td(days=2)
    db.session.commit()
    assert anonymous.get(kiosk).status_code == 404
    assert anonymous.get(kiosk + "/live.json").status_code == 404
