"""Scanner mode: card codes checked in and out by the organizer; JSON and form paths."""

from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.checkins.organizer import card_code_from
from volunteer_app.codes import new_key
from volunteer_app.database import utcnow
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
    volunteer = make.volunteer("李秀英", registered_unit_id=activity.unit_id)
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
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
    # A second scan a moment later would credit 0 h: asked first, nothing written.
    response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
    assert response.status_code == 409 and response.json["code"] == "confirm_checkout"
    assert response.json["confirm"] and response.json["message"].startswith("确定为李秀英签退吗？")
    db.session.refresh(record)
    assert record.checked_out_at is None
    data = {"csrf_token": token, "code": code, "confirmed": "1"}
    response = client.post(url, data=data, headers=JSON)
    assert response.json["action"] == "check_out" and "签退成功" in response.json["message"]
    response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
    assert response.status_code == 409 and response.json["code"] == "already_checked_out"


def test_an_early_check_out_is_confirmed_without_script(client, make, db, login_as, app):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("李秀英", registered_unit_id=activity.unit_id)
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    url = f"/activities/{activity.id}/scanner"
    token = csrf_token(client, url)
    assert client.post(url, data={"csrf_token": token, "code": code}).status_code == 302
    response = client.post(url, data={"csrf_token": token, "code": code})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "确定为李秀英签退吗？" in html
    assert 'name="confirmed" value="1"' in html and "不签退" in html
    assert db.session.scalar(select(CheckIn.checked_out_at)) is None
    data = {"csrf_token": token, "code": code, "confirmed": "1"}
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert db.session.scalar(select(CheckIn.checked_out_at)) is not None


def test_a_check_out_after_a_real_stay_is_not_asked(client, make, db, login_as, app):
    activity = make.activity(starts_at=(utcnow() - timedelta(hours=1)).replace(microsecond=0))
    user = login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("李秀英", registered_unit_id=activity.unit_id)
    db.session.add(
        CheckIn(
            activity=activity, volunteer=volunteer, checked_in_at=activity.starts_at,
            origin=HoursOrigin.ORGANIZER, recorded_by_id=user.id, self_made=False,
        )
    )  # fmt: skip
    db.session.commit()
    url = f"/activities/{activity.id}/scanner"
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "code": code}, headers=JSON
    )
    assert response.json["ok"] and response.json["action"] == "check_out"


def test_forged_unknown_and_empty_cards(client, make, db, login_as, app):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    url = f"/activities/{activity.id}/scanner"
    token = csrf_token(client, url)
    for code in ("c1.forged", issue_card(app.config["SECRET_KEY"], new_key()), "s1.x"):
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
    volunteer = make.volunteer("王芳", registered_unit_id=activity.unit_id)
    url = f"/activities/{activity.id}/scanner"
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
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
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    response = client.post(url, data={"csrf_token": token, "code": code}, headers=JSON)
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def _queued(client, url, token, code, action, scanned_at):
    """Upload one scan as the page does after being offline."""
    return client.post(
        url,
        data={
            "csrf_token": token,
            "code": code,
            "action": action,
            "scanned_at": scanned_at.isoformat() if scanned_at else "",
        },
        headers=JSON,
    )


def test_queued_scans_keep_their_time_and_count_once(client, make, db, login_as, app):
    from datetime import timedelta

    from volunteer_app.audit.models import AuditEntry

    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("赵桂兰", registered_unit_id=activity.unit_id)
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    url = f"/activities/{activity.id}/scanner"
    token = csrf_token(client, url)
    arrived = activity.starts_at + timedelta(minutes=2)
    for _ in range(2):  # uploaded twice (the first answer was lost): still one record
        response = _queued(client, url, token, code, "check_in", arrived)
        assert response.json["ok"] or response.json["code"] == "already_checked_in"
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    record = db.session.scalar(select(CheckIn))
    assert record.checked_in_at == arrived
    left = activity.starts_at + timedelta(minutes=8)
    response = _queued(client, url, token, code, "check_out", left)
    assert response.status_code == 200 and response.json["action"] == "check_out"
    assert response.json["time_refused"] is False
    db.session.refresh(record)
    assert record.checked_out_at == left and record.minutes == 0
    again = _queued(client, url, token, code, "check_out", left)
    assert again.status_code == 409 and again.json["code"] == "already_checked_out"
    actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions.count("scan.queued") == 2


def test_queued_scan_with_implausible_time_uses_server_time(client, make, db, login_as, app):
    from datetime import timedelta

    from volunteer_app.database import utcnow

    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("钱建国", registered_unit_id=activity.unit_id)
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    url = f"/activities/{activity.id}/scanner"
    before = utcnow()
    response = _queued(
        client, url, csrf_token(client, url), code, "check_in", before + timedelta(days=1)
    )
    assert response.status_code == 200 and response.json["time_refused"] is True
    assert "上传时间" in response.json["message"]
    record = db.session.scalar(select(CheckIn))
    assert before <= record.checked_in_at <= utcnow()


def test_queued_scan_conflicts_and_bad_input(client, make, db, login_as, app):
    from datetime import timedelta

    from volunteer_app.activities.models import ActivityStatus

    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("孙丽", registered_unit_id=activity.unit_id)
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    url = f"/activities/{activity.id}/scanner"
    token = csrf_token(client, url)
    at = activity.starts_at + timedelta(minutes=1)
    response = _queued(client, url, token, code, "check_out", at)
    assert response.status_code == 409 and response.json["code"] == "not_checked_in"
    assert response.json["message"].startswith("孙丽：")
    for action, scanned in [("leave", "2030-01-01T00:00:00Z"), ("check_in", "yesterday")]:
        response = client.post(
            url,
            data={"csrf_token": token, "code": code, "action": action, "scanned_at": scanned},
            headers=JSON,
        )
        assert response.status_code == 400, (action, scanned)
        assert response.json["message"] in ("未知的扫码操作。", "无法识别设备发送的扫码时间。")
    activity.status = ActivityStatus.CANCELLED
    db.session.commit()
    response = _queued(client, url, token, code, "check_in", at)
    assert response.status_code == 409 and response.json["code"] == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
