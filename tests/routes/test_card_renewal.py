"""Personal cards of version 2: the code carries a random card key, a renewal on /me/card
ends every earlier card at once (scanner, queued scans, API), is audited and shown on /me;
cards of version 1 are refused as replaced."""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import Signer
from sqlalchemy import func, select

from volunteer_app import qr
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.volunteers import cards, privacy
from volunteer_app.volunteers.cards import V1_SALT, issue_card

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin

JSON = {"Accept": "application/json"}
PHONE = "13812341234"


def scan(client, activity, code, **extra):
    url = f"/activities/{activity.id}/scanner"
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "code": code, **extra}, headers=JSON)


def test_renewing_my_card_ends_the_old_one_at_once(app, client, make, db, login_as):
    activity = make.activity()
    volunteer = with_pin(make.volunteer("李秀英", phone=PHONE, registered_unit_id=activity.unit_id))
    db.session.commit()
    sign_in(client, PHONE, PIN)
    secret = app.config["SECRET_KEY"]
    old = issue_card(secret, volunteer.card_key)
    html = client.get("/me/card").get_data(as_text=True)
    assert qr.render_svg(old) in html and "换一张新卡" in html
    assert old.startswith("2c" + volunteer.card_key + ".")  # a random key, not the id

    token = csrf_token(client, "/me/card")
    response = client.post("/me/card/renew", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/card")
    db.session.refresh(volunteer)
    new = issue_card(secret, volunteer.card_key)
    assert new != old
    page = client.get("/me/card").get_data(as_text=True)
    assert qr.render_svg(new) in page and qr.render_svg(old) not in page
    assert "已经换成新的志愿者卡" in page

    me = client.get("/me").get_data(as_text=True)
    assert "志愿者卡已换新（旧卡已失效）" in me  # among the security events

    # the organizer's scanner: the old card is refused, the new one checks in
    login_as(make.user(unit=activity.unit))
    response = scan(client, activity, old)
    assert response.status_code == 400 and response.json["code"] == "invalid"
    response = scan(client, activity, new)
    assert response.status_code == 200 and response.json["action"] == "check_in"

    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "volunteer.card_renewed")
    )
    assert entry.actor_volunteer_id == volunteer.id and entry.volunteer_id == volunteer.id
    assert entry.old_value is None and entry.new_value is None  # no key in the log


def test_renewing_needs_my_device_and_csrf(app, client, make, db):
    volunteer = with_pin(make.volunteer("李秀英", phone=PHONE))
    db.session.commit()
    key = volunteer.card_key
    response = client.post("/me/card/renew")
    assert response.status_code in (302, 400)  # no device, or no CSRF token
    sign_in(client, PHONE, PIN)
    assert client.post("/me/card/renew").status_code == 400
    db.session.refresh(volunteer)
    assert volunteer.card_key == key


def test_a_queued_scan_of_a_replaced_card_is_refused(app, client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("赵桂兰", registered_unit_id=activity.unit_id)
    db.session.commit()
    old = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    cards.renew_card(volunteer, now=utcnow())
    db.session.commit()
    response = scan(
        client,
        activity,
        old,
        action="check_in",
        scanned_at=(activity.starts_at + timedelta(minutes=2)).isoformat(),
    )
    assert response.status_code == 400 and response.json["code"] == "invalid"
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_a_version_1_card_is_refused_as_replaced(app, client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("赵桂兰", registered_unit_id=activity.unit_id)
    db.session.commit()
    v1 = Signer(app.config["SECRET_KEY"], salt=V1_SALT).sign(f"c{volunteer.id}").decode()
    response = scan(client, activity, v1)
    assert response.status_code == 400 and response.json["code"] == "replaced"
    assert "这张志愿者卡已经换新" in response.json["message"]
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_the_card_of_a_deleted_account_is_refused(app, client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("赵桂兰", registered_unit_id=activity.unit_id)
    db.session.commit()
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    privacy.delete_account(volunteer, confirmed=True, pin=None, now=utcnow())
    db.session.commit()
    response = scan(client, activity, code)
    assert response.status_code == 400 and response.json["code"] == "invalid"
