"""Check-in codes of version 2: renewing an activity's code kills the old one at once, the
poster and the projector show the new one; version 1 codes work only for the activities
that existed before, until their check-out window ends; a copy gets its own key."""

from datetime import timedelta

from itsdangerous import Signer
from sqlalchemy import func, select

from volunteer_app import qr
from volunteer_app.activities import services as activities
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import (
    V1_SALT,
    current_step,
    issue_rotating_token,
    issue_token,
)
from volunteer_app.database import utcnow

from ..conftest import csrf_token

INVALID = "二维码无效"
REPLACED = "此二维码已经换新"


def poster_code(app, activity) -> str:
    return "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)


def v1_path(app, payload: str) -> str:
    """A version 1 code as the app printed them before: ``s<id>`` or ``r<id>.<step>``."""
    return "/c/" + Signer(app.config["SECRET_KEY"], salt=V1_SALT).sign(payload).decode("ascii")


def renew(client, activity, **extra):
    token = csrf_token(client, f"/activities/{activity.id}")
    return client.post(
        f"/activities/{activity.id}/checkin-code/renew", data={"csrf_token": token, **extra}
    )


def test_renewing_the_code_kills_the_old_one_and_shows_the_new(app, client, make, db, login_as):
    activity = make.activity(title="学雷锋义诊")
    organizer = login_as(make.user(unit=activity.unit))
    db.session.commit()
    old_key = activity.checkin_key
    old = poster_code(app, activity)
    old_rotating = "/c/" + issue_rotating_token(
        app.config["SECRET_KEY"], old_key, current_step(utcnow(), activity.rotate_seconds)
    )
    volunteer = app.test_client()
    assert volunteer.get(old).status_code == 200
    assert volunteer.get(old_rotating).status_code == 200
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert old in page and "换一个二维码" in page

    response = renew(client, activity)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/activities/{activity.id}#checkin-code")
    db.session.refresh(activity)
    assert activity.checkin_key != old_key
    for path in (old, old_rotating):
        response = volunteer.get(path)
        assert response.status_code == 400 and INVALID in response.get_data(as_text=True)

    new = poster_code(app, activity)
    assert volunteer.get(new).status_code == 200
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "二维码已经换新" in page  # the flash
    assert new in page and old not in page
    poster = client.get(f"/activities/{activity.id}/poster").get_data(as_text=True)
    assert qr.render_svg("http://localhost" + new) in poster
    assert qr.render_svg("http://localhost" + old) not in poster
    live = client.get(f"/activities/{activity.id}/live.json").json
    assert f"/c/2r{activity.checkin_key}." in live["url"] and old_key not in live["url"]
    assert volunteer.get(live["url"].removeprefix("http://localhost")).status_code == 200

    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "activity.checkin_code_renewed")
    )
    assert entry.actor_user_id == organizer.id and entry.activity_id == activity.id
    assert entry.old_value is None and entry.new_value is None  # no key in the log
    assert "签到二维码已换新" in page  # the change log on the activity page


def test_the_png_of_a_replaced_code_is_not_served_from_a_cache(app, client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    path = f"/activities/{activity.id}/qr.png"
    first = client.get(path)
    assert "no-cache" in first.headers["Cache-Control"]
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    renew(client, activity)
    after = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]


def test_renewing_from_the_poster_returns_to_the_poster(app, client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    poster = client.get(f"/activities/{activity.id}/poster").get_data(as_text=True)
    assert "换一个二维码" in poster and 'name="back" value="poster"' in poster
    response = renew(client, activity, back="poster")
    assert response.headers["Location"].endswith(f"/activities/{activity.id}/poster")


def test_renewing_needs_csrf_and_the_activitys_station(app, client, make, db, login_as):
    activity = make.activity()
    mine = make.activity()
    login_as(make.user(unit=mine.unit))
    db.session.commit()
    key = activity.checkin_key
    token = csrf_token(client, f"/activities/{mine.id}")
    response = client.post(
        f"/activities/{activity.id}/checkin-code/renew", data={"csrf_token": token}
    )
    assert response.status_code == 404
    mine_key = mine.checkin_key
    response = client.post(f"/activities/{mine.id}/checkin-code/renew")
    assert response.status_code == 400  # no CSRF token: nothing changes
    db.session.refresh(activity)
    db.session.refresh(mine)
    assert activity.checkin_key == key and mine.checkin_key == mine_key
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_version_1_codes_work_for_older_activities_until_their_window_ends(app, client, make, db):
    older = make.activity(accepts_v1_tokens=True)
    db.session.commit()
    static = v1_path(app, f"s{older.id}")
    step = current_step(utcnow(), older.rotate_seconds)
    assert client.get(static).status_code == 200
    assert client.get(v1_path(app, f"r{older.id}.{step}")).status_code == 200
    stale = client.get(v1_path(app, f"r{older.id}.{step - 5}"))
    assert stale.status_code == 400 and "二维码已过期" in stale.get_data(as_text=True)
    page = client.get(static).get_data(as_text=True)
    import re

    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post(
        static,
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
    # once its check-out window is over, the old code is refused as replaced
    older.starts_at -= timedelta(days=1)
    older.ends_at -= timedelta(days=1)
    db.session.commit()
    response = client.get(static)
    assert response.status_code == 400 and REPLACED in response.get_data(as_text=True)


def test_version_1_codes_are_refused_for_new_activities(app, client, make, db):
    new = make.activity()
    db.session.commit()
    assert new.accepts_v1_tokens is False
    for path in (
        v1_path(app, f"s{new.id}"),
        v1_path(app, f"r{new.id}.{current_step(utcnow(), new.rotate_seconds)}"),
    ):
        response = client.get(path)
        assert response.status_code == 400 and REPLACED in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_renewing_ends_the_version_1_codes_too(app, client, make, db, login_as):
    older = make.activity(accepts_v1_tokens=True)
    login_as(make.user(unit=older.unit))
    db.session.commit()
    static = v1_path(app, f"s{older.id}")
    assert client.get(static).status_code == 200
    renew(client, older)
    db.session.refresh(older)
    assert older.accepts_v1_tokens is False
    response = client.get(static)
    assert response.status_code == 400 and REPLACED in response.get_data(as_text=True)


def test_a_copy_gets_keys_of_its_own_and_accepts_version_2_only(app, make, db):
    original = make.activity(accepts_v1_tokens=True)
    copy = activities.duplicate_activity(
        original,
        make.user(unit=original.unit),
        new_starts_at=original.starts_at + timedelta(days=7),
        now=utcnow(),
    )
    assert copy.checkin_key and copy.checkin_key != original.checkin_key
    assert copy.kiosk_key and copy.kiosk_key != original.kiosk_key
    assert copy.accepts_v1_tokens is False


def test_every_new_activity_gets_its_own_random_keys(make):
    made = [make.activity() for _ in range(5)]
    keys = {a.checkin_key for a in made} | {a.kiosk_key for a in made}
    assert len(keys) == 10
    assert all(len(a.checkin_key) == 16 and len(a.kiosk_key) == 22 for a in made)
