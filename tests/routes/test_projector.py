"""Projector mode: the page, its JSON, rotating codes at the volunteer's page, scoping."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins import services, tokens
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import (
    current_step,
    issue_rotating_token,
    issue_token,
    verify_token,
)
from volunteer_app.database import utcnow

from ..conftest import csrf_token


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
    assert claims.kind == "rotating" and claims.key == activity.checkin_key
    assert abs(claims.step - current_step(utcnow(), 20)) <= 1


def test_volunteer_page_accepts_fresh_and_refuses_stale_rotating_codes(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    key = app.config["SECRET_KEY"]
    fresh = issue_rotating_token(key, activity.checkin_key, current_step(utcnow(), 30))
    stale = issue_rotating_token(key, activity.checkin_key, current_step(utcnow(), 30) - 3)
    assert client.get(f"/c/{fresh}").status_code == 200
    response = client.get(f"/c/{stale}")
    assert response.status_code == 400
    assert "二维码已过期" in response.get_data(as_text=True)


FIRST_TIMER = {
    "action": "check_in",
    "name": "李秀英",
    "phone": "13812341234",
    "pin": "2580",
    "consent": "y",
}


def _stale_code(app, activity, seconds_ago: int) -> tuple[str, str]:
    """A rotating code shown ``seconds_ago`` (too old to open now) and its scan path."""
    step = current_step(utcnow() - timedelta(seconds=seconds_ago), activity.rotate_seconds)
    token = issue_rotating_token(app.config["SECRET_KEY"], activity.checkin_key, step)
    return token, "/c/" + token


def _csrf(client, activity, app) -> str:
    html = client.get("/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key))
    return re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html.get_data(as_text=True)
    ).group(1)


def test_the_page_of_a_rotating_code_carries_its_opening_proof(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    token = issue_rotating_token(
        app.config["SECRET_KEY"], activity.checkin_key, current_step(utcnow(), 30)
    )
    html = client.get("/c/" + token).get_data(as_text=True)
    proof = re.search(r'name="opened" value="([^"]+)"', html).group(1)
    opened = tokens.opened_at(app.config["SECRET_KEY"], token, proof)
    assert opened is not None and abs((utcnow() - opened).total_seconds()) < 5
    static = client.get("/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key))
    assert 'name="opened"' not in static.get_data(as_text=True)  # a poster code needs none
    response = client.post(
        "/c/" + token,
        data={"csrf_token": _csrf(client, activity, app), "opened": proof, **FIRST_TIMER},
    )
    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)


def test_submit_grace_lets_a_first_timer_who_opened_the_page_finish_typing(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    # shown about 2.5 minutes ago, the page opened then: too old to open now, still fine
    # to submit within the grace (300 s) after that opening
    token, path = _stale_code(app, activity, 150)
    assert client.get(path).status_code == 400
    proof = tokens.issue_opened(app.config["SECRET_KEY"], token, utcnow() - timedelta(seconds=145))
    response = client.post(
        path, data={"csrf_token": _csrf(client, activity, app), "opened": proof, **FIRST_TIMER}
    )
    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)


def test_a_direct_post_of_a_stale_rotating_code_gets_no_grace(client, make, db, app):
    """The code is 2.5 minutes old: beyond its 2 x 30 s, and no page was opened in time."""
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    token, path = _stale_code(app, activity, 150)
    csrf = _csrf(client, activity, app)
    secret = app.config["SECRET_KEY"]
    other, _ = _stale_code(app, activity, 0)
    for proof in (
        None,  # no page opened at all
        "1893805200.forged-signature",
        tokens.issue_opened(secret, other, utcnow() - timedelta(seconds=145)),  # another code's
        tokens.issue_opened(secret, token, utcnow()),  # "opened" now, when it was stale
    ):
        data = {"csrf_token": csrf, **FIRST_TIMER} | ({"opened": proof} if proof else {})
        response = client.post(path, data=data)
        assert response.status_code == 400, proof
        assert "二维码已过期" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_the_grace_ends_some_minutes_after_the_opening(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    token, path = _stale_code(app, activity, 400)
    proof = tokens.issue_opened(app.config["SECRET_KEY"], token, utcnow() - timedelta(seconds=395))
    response = client.post(
        path, data={"csrf_token": _csrf(client, activity, app), "opened": proof, **FIRST_TIMER}
    )
    assert response.status_code == 400 and "二维码已过期" in response.get_data(as_text=True)


def test_static_code_can_be_switched_off(client, make, db, app):
    activity = make.activity(allow_static_code=False)
    db.session.commit()
    response = client.get("/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key))
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
    assert "/c/2r" in data["url"] and data["checked_in"] == 0
    assert anonymous.get(f"/activities/{activity.id}/projector").status_code == 302
    assert anonymous.get(kiosk.replace("/k/", "/k/x")).status_code == 404
    # only its own activity; none once check-out has closed or the activity is cancelled
    assert anonymous.get(f"/k/{other.id}").status_code == 404
    activity.starts_at -= _td(days=2)
    activity.ends_at -= _td(days=2)
    db.session.commit()
    assert anonymous.get(kiosk).status_code == 404
    assert anonymous.get(kiosk + "/live.json").status_code == 404


def _kiosk_link(client, activity) -> str:
    html = client.get(f"/activities/{activity.id}/projector").get_data(as_text=True)
    return re.search(r"http://localhost(/k/[\w.-]+)", html).group(1)


def test_replacing_the_kiosk_link_ends_the_old_one_at_once(app, client, make, db, login_as):
    activity = make.activity(title="入口平板")
    organizer = login_as(make.user(unit=activity.unit))
    db.session.commit()
    old = _kiosk_link(client, activity)
    assert old.startswith("/k/2k" + activity.kiosk_key + ".")  # a random key, not the id
    tablet = app.test_client()
    assert tablet.get(old).status_code == 200
    page = client.get(f"/activities/{activity.id}/projector").get_data(as_text=True)
    assert "换一个平板链接" in page
    url = f"/activities/{activity.id}/kiosk-link/renew"
    # without the CSRF token nothing changes
    assert client.post(url).status_code == 400
    assert tablet.get(old).status_code == 200
    response = client.post(
        url, data={"csrf_token": csrf_token(client, f"/activities/{activity.id}/projector")}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/activities/{activity.id}/projector#kiosk-link")
    assert "旧的平板链接已经失效" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert tablet.get(old).status_code == 404
    assert tablet.get(old + "/live.json").status_code == 404
    new = _kiosk_link(client, activity)
    assert new != old and tablet.get(new).status_code == 200
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "activity.kiosk_link_renewed")
    )
    assert entry.actor_user_id == organizer.id and entry.activity_id == activity.id
    # the log holds no key and no link
    assert entry.old_value is None and entry.new_value is None and entry.reason == ""


def test_another_stations_organizer_cannot_replace_the_kiosk_link(app, client, make, db, login_as):
    activity = make.activity()
    mine = make.activity()
    login_as(make.user(unit=mine.unit))
    db.session.commit()
    key = activity.kiosk_key
    token = csrf_token(client, f"/activities/{mine.id}/projector")
    response = client.post(
        f"/activities/{activity.id}/kiosk-link/renew", data={"csrf_token": token}
    )
    assert response.status_code == 404
    db.session.refresh(activity)
    assert activity.kiosk_key == key


def test_id_based_kiosk_links_are_no_longer_accepted(app, client, make, db):
    from itsdangerous import URLSafeSerializer

    activity = make.activity(accepts_v1_tokens=True)
    db.session.commit()
    old = URLSafeSerializer(app.config["SECRET_KEY"], salt="kiosk.v1").dumps(activity.id)
    assert client.get(f"/k/{old}").status_code == 404
    # nor a genuine-looking link built on the check-in key instead of the kiosk key
    from volunteer_app.checkins.keys import issue_kiosk_token

    assert (
        client.get(
            "/k/" + issue_kiosk_token(app.config["SECRET_KEY"], activity.checkin_key)
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/k/" + issue_kiosk_token(app.config["SECRET_KEY"], activity.kiosk_key)
        ).status_code
        == 200
    )
