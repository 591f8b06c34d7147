"""Scanner mode: card codes checked in and out by the organizer; JSON and form paths."""

from sqlalchemy import func, select

from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.checkins.organizer import card_code_from
from volunteer_app.volunteers.cards import issue_card

from ..conftest import csrf_token

JSON = {"Accept": "application/json"}


def test_card_code_from_text():
    assert card_code_from(" c12.abc ") == "c12.abc"
    assert card_code_from("https://x.example/v/card/c12.abc?x=1") == "c12.abc"
    assert card_code_from("https://x.example/v/c12.abc/") == "c12.abc"


def test_scan_checks_in_then_out(client, make, db, login_as, app):
    activity = make.activity()
    user = login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("李秀英")
    code = issue_card(app.config["SECRET_KEY"], volunteer.id)
    url = f"/activities/{activity.id}/scanner"
    html = client.get(url).get_data(as_text=True)
    assert "js/scanner.js" in html and "vendor/jsqr/jsQR.js" in html
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
    assert response.status_code == 200
    assert response.json["ok"] and response.json["action"] == "check_in"
    assert response.json["message"] == "李秀英：签到成功"
    record = db.session.scalar(select(CheckIn))
    assert record.origin == HoursOrigin.ORGANIZER and record.recorded_by_id == user.id
    response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
    assert response.json["action"] == "check_out" and "签退成功" in response.json["message"]
    response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
    assert response.status_code == 409 and response.json["code"] == "already_checked_out"


def test_forged_unknown_and_empty_cards(client, make, db, login_as, app):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    url = f"/activities/{activity.id}/scanner"
    token = csrf_token(client, url)
    for code in ("c1.forged", issue_card(app.config["SECRET_KEY"], 999999), "s1.x"):
        response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
        assert response.status_code == 400 and response.json["code"] == "invalid"
        assert response.json["message"] == "这不是有效的志愿者证二维码。"
    response = client.post(url, data={"csrf_token": token, "code": ""}, headers=JSON)
    assert response.status_code == 400 and response.json["code"] == "empty"
    # the typed form without JavaScript: flash and redirect
    response = client.post(url, data={"csrf_token": token, "code": "c1.forged"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_typed_code_form_path(client, make, db, login_as, app):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("王芳")
    url = f"/activities/{activity.id}/scanner"
    code = issue_card(app.config["SECRET_KEY"], volunteer.id)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "code": code})
    assert response.status_code == 302
    assert "王芳：签到成功" in client.get(url).get_data(as_text=True)


def test_scanner_scoping(client, make, db, login_as, app):
    theirs = make.activity()
    mine = make.activity()
    volunteer = make.volunteer()
    db.session.commit()
    url = f"/activities/{theirs.id}/scanner"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=mine.unit))
    token = csrf_token(client, f"/activities/{mine.id}/scanner")
    assert client.get(url).status_code == 404
    code = issue_card(app.config["SECRET_KEY"], volunteer.id)
    response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
