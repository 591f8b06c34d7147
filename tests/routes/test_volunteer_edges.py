"""Issue 20's rough edges on the volunteer's side, through the test client: plain headings
for refused QR codes, every form error at once beside its field, the tries left before the
PIN lock, the own CSV export in the person's language and Beijing time, a readable change
log, and a one-time code typed after an organizer's check-in remembering the phone."""

from __future__ import annotations

import re

from volunteer_app.checkins.tokens import current_step, issue_rotating_token, issue_token
from volunteer_app.database import utcnow


def _heading(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


def test_an_expired_code_is_headed_plainly_and_says_what_to_do(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    stale = issue_rotating_token(
        app.config["SECRET_KEY"], activity.checkin_key, current_step(utcnow(), 30) - 3
    )
    response = client.get(f"/c/{stale}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _heading(html) == "二维码已过期"
    assert "请求有误" not in html
    assert "请重新扫描活动现场屏幕上的二维码" in html
    english = client.get(f"/c/{stale}?lang=en").get_data(as_text=True)
    assert _heading(english) == "This QR code has expired"


def test_a_forged_code_is_headed_plainly(client):
    response = client.get("/c/s1.forged")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _heading(html) == "二维码无法使用"
    assert "请重新扫描活动现场的二维码" in html


def test_an_expired_form_is_headed_plainly(client, make, db, app):
    activity = make.activity()
    db.session.commit()
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    response = client.post(path, data={"action": "check_in"})
    assert response.status_code == 400
    assert _heading(response.get_data(as_text=True)) == "页面已过期"


def test_other_errors_keep_their_status_title(client):
    response = client.get("/no-such-page")
    assert _heading(response.get_data(as_text=True)) == "页面不存在"


# --- every problem of a form at once, beside its field ------------------------------------


def field_errors(html: str) -> dict[str, str]:
    """{field id: its message} for every field the page marks invalid and describes by
    its error paragraph (aria-describedby → id="<field>-error")."""
    found = {}
    for match in re.finditer(r"<(?:input|textarea|select)\b[^>]*>", html):
        tag = match.group(0)
        field = re.search(r'\bid="([^"]+)"', tag)
        described = re.search(r'aria-describedby="([^"]+)"', tag)
        if not field or not described or 'aria-invalid="true"' not in tag:
            continue
        error_id = f"{field.group(1)}-error"
        assert error_id in described.group(1).split()
        text = re.search(rf'<p class="error" id="{error_id}">(.*?)</p>', html, re.S)
        found[field.group(1)] = text.group(1).strip()
    return found


def test_an_empty_first_time_form_shows_all_four_problems(app, db, client, make):
    from .test_identity import scan_new_device

    activity = make.activity()
    db.session.commit()
    response = scan_new_device(client, app, activity)
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True))
    assert errors == {
        "name": "请填写姓名。",
        "phone": "请填写 11 位手机号，例如 13812341234。",
        "pin": "密码须为 4–6 位数字。",
        "consent": "请勾选同意保存您的志愿服务记录。",
    }


def test_a_new_number_without_name_pin_and_consent_is_told_all_three(app, db, client, make):
    from .test_identity import scan_new_device

    activity = make.activity()
    db.session.commit()
    response = scan_new_device(client, app, activity, phone="13812341299", pin="1111")
    errors = field_errors(response.get_data(as_text=True))
    assert set(errors) == {"name", "pin", "consent"}
    assert "太容易" in errors["pin"]


def test_a_known_number_is_not_asked_for_name_or_consent(app, db, client, make):
    from .test_identity import scan_new_device, with_pin

    volunteer = with_pin(make.volunteer())
    activity = make.activity()
    db.session.commit()
    response = scan_new_device(client, app, activity, phone=volunteer.phone, pin="9999")
    assert response.status_code == 401
    assert field_errors(response.get_data(as_text=True)) == {}


def test_an_empty_registration_shows_every_problem(client):
    from ..conftest import csrf_token

    token = csrf_token(client, "/me/register")
    response = client.post("/me/register", data={"csrf_token": token})
    assert response.status_code == 400
    assert set(field_errors(response.get_data(as_text=True))) == {
        "name",
        "phone",
        "pin",
        "consent",
    }


def test_an_empty_sign_in_and_a_bad_number_show_beside_their_fields(client):
    from ..conftest import csrf_token

    token = csrf_token(client, "/me/sign-in")
    empty = client.post("/me/sign-in", data={"csrf_token": token})
    assert set(field_errors(empty.get_data(as_text=True))) == {"phone", "pin"}
    bad = client.post("/me/sign-in", data={"csrf_token": token, "phone": "123", "pin": "2580"})
    assert bad.status_code == 400
    assert set(field_errors(bad.get_data(as_text=True))) == {"phone"}


def test_an_empty_deletion_form_asks_for_the_tick_and_the_pin(app, db, client, make):
    from .test_identity import PIN, sign_in, with_pin
    from .test_my_page import post

    volunteer = with_pin(make.volunteer())
    db.session.commit()
    sign_in(client, volunteer.phone, PIN)
    response = post(client, "/me/delete")
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True)) == {
        "pin": "请输入密码。",
        "confirm": "请勾选确认。",
    }
    assert db.session.get(type(volunteer), volunteer.id).name == volunteer.name


def test_pin_page_shows_a_mismatch_beside_the_second_pin(app, db, client, make):
    from .test_identity import PIN, sign_in, with_pin
    from .test_my_page import post

    volunteer = with_pin(make.volunteer())
    db.session.commit()
    sign_in(client, volunteer.phone, PIN)
    response = post(client, "/me/pin", current_pin=PIN, new_pin="4826", confirm="4827")
    assert set(field_errors(response.get_data(as_text=True))) == {"confirm"}


# --- tries left before the PIN lock ---------------------------------------------------------


def test_wrong_pins_say_how_many_tries_are_left_alike_for_unknown_numbers(app, db, make):
    from .test_identity import sign_in, with_pin

    volunteer = with_pin(make.volunteer())
    db.session.commit()
    known, stranger = app.test_client(), app.test_client()
    for left in (4, 3, 2, 1):
        a = sign_in(known, volunteer.phone, "9999").get_data(as_text=True)
        b = sign_in(stranger, "13900001111", "9999").get_data(as_text=True)
        assert f"还可尝试 {left} 次" in a and f"还可尝试 {left} 次" in b
    fifth = sign_in(known, volunteer.phone, "9999")
    assert fifth.status_code == 401
    assert "此号码现已锁定 15 分钟" in fifth.get_data(as_text=True)
    assert "还可尝试" not in sign_in(known, volunteer.phone, "2580").get_data(as_text=True)


def test_the_check_in_page_counts_down_too(app, db, client, make):
    from .test_identity import scan_new_device, with_pin

    volunteer = with_pin(make.volunteer())
    activity = make.activity()
    db.session.commit()
    response = scan_new_device(client, app, activity, phone=volunteer.phone, pin="9999")
    assert "还可尝试 4 次" in response.get_data(as_text=True)
    again = scan_new_device(client, app, activity, phone=volunteer.phone, pin="9998")
    assert "还可尝试 3 次" in again.get_data(as_text=True)


def test_a_wrong_current_pin_on_my_pages_counts_down(app, db, client, make):
    from .test_identity import PIN, sign_in, with_pin
    from .test_my_page import post

    volunteer = with_pin(make.volunteer())
    db.session.commit()
    sign_in(client, volunteer.phone, PIN)
    response = post(client, "/me/pin", current_pin="9999", new_pin="4826", confirm="4826")
    assert field_errors(response.get_data(as_text=True))["current_pin"].endswith(
        "还可尝试 4 次，之后此号码将锁定 15 分钟。"
    )
    deletion = post(client, "/me/delete", pin="9999", confirm="y")
    assert "还可尝试 3 次" in field_errors(deletion.get_data(as_text=True))["pin"]


def test_a_wechat_phone_is_listed_as_weixin_on_my_page(app, db, client, make):
    from ..conftest import csrf_token
    from ..unit.test_volunteer_edges_rules import WECHAT_ANDROID
    from .test_identity import PIN, with_pin

    volunteer = with_pin(make.volunteer())
    db.session.commit()
    client.environ_base["HTTP_USER_AGENT"] = WECHAT_ANDROID
    token = csrf_token(client, "/me/sign-in")
    client.post("/me/sign-in", data={"csrf_token": token, "phone": volunteer.phone, "pin": PIN})
    html = client.get("/me").get_data(as_text=True)
    assert "微信 · Android" in html and "Chrome · Android" not in html


# --- my own CSV export: my language, Beijing time -------------------------------------------


def _my_csv(client, lang: str) -> list[dict]:
    import csv
    import io

    text = client.get(f"/me/export.csv?lang={lang}").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_my_csv_speaks_my_language_and_beijing_time(app, db, client, make):
    from datetime import UTC, datetime

    from volunteer_app.checkins.models import HoursOrigin, HoursStatus

    from .test_identity import PIN, sign_in, with_pin
    from .test_my_page import served

    volunteer = with_pin(make.volunteer(name="孙丽娟"))
    # 23:30 UTC on 4 March is 07:30 on 5 March in Beijing
    start = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    activity = make.activity(title="学雷锋日清扫", starts_at=start, minutes=120)
    served(make, volunteer, activity, 120, status=HoursStatus.PENDING, origin=HoursOrigin.SCAN)
    db.session.commit()
    sign_in(client, volunteer.phone, PIN)
    (row,) = _my_csv(client, "zh")
    assert row["日期"] == "2026-03-05"
    assert row["签到时间"] == "2026-03-05 07:30"
    assert row["签退时间"] == "2026-03-05 09:30"
    assert row["服务时长（小时）"] == "2.0"
    assert row["时长状态"] == "待确认" and row["时长来源"] == "扫码"
    assert row["服务类别"] == activity.category.name_zh
    (english,) = _my_csv(client, "en")
    assert english["Checked in at"] == "2026-03-05 07:30"
    assert english["Hours status"] == "Pending" and english["Hours recorded by"] == "Scan"
    assert english["Category"] == activity.category.name_en


# --- the change log names actions and the volunteer who asked --------------------------------


def test_the_change_log_names_a_correction_and_who_asked_for_it(app, db, client, make, login_as):
    from sqlalchemy import select

    from volunteer_app.checkins.models import Correction

    from .test_corrections import forgot_to_check_out, local
    from .test_identity import PIN, sign_in
    from .test_my_page import post

    _, activity, record = forgot_to_check_out(make)
    organizer = make.user(unit=activity.unit)
    db.session.commit()
    phone = app.test_client()
    sign_in(phone, "13812341234", PIN)
    post(
        phone,
        f"/me/records/{record.id}/correction",
        proposed_in=local(activity.starts_at),
        proposed_out=local(activity.ends_at),
        reason="忘记签退了。",
    )
    login_as(organizer)
    correction = db.session.scalar(select(Correction))
    post(
        client,
        f"/manage/corrections/{correction.id}",
        decision="accept",
        checked_in_at=local(activity.starts_at),
        checked_out_at=local(activity.ends_at),
        reason="已核实",
    )
    html = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    log = html[html.index('id="audit-title"') :]
    items = re.findall(r"<li>(.*?)</li>", log, re.S)
    text = [" ".join(re.sub(r"<[^>]+>", " ", i).split()) for i in items]
    assert "correction." not in log
    asked = next(t for t in text if "志愿者申请更正" in t)
    accepted = next(t for t in text if "同意更正" in t)
    assert "· 本人" in asked and "系统" not in asked
    assert organizer.display_name in accepted


def test_every_action_an_activity_log_can_show_has_a_label():
    """Every audit action written with an activity (the source's audit.record calls in the
    areas below the activity page) is named in AUDIT_LABELS, never shown as its raw key."""
    from pathlib import Path

    from volunteer_app.activities.labels import AUDIT_LABELS

    root = Path(__file__).resolve().parents[2] / "volunteer_app"
    actions = set()
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit\.record\(\s*(.*?)\n\s*\)", source, re.S):
            body = call.group(1)
            if "activity_id=" not in body:
                continue
            actions |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', body.split(",")[0] + body))
    actions = {
        a
        for a in actions
        if a.split(".")[0]
        in {"activity", "checkin", "checkout", "hours", "correction", "scan", "manual", "volunteer"}
    }
    assert actions, "no audit calls found"
    missing = sorted(a for a in actions if a not in AUDIT_LABELS)
    assert missing == []


# --- a one-time code typed after an organizer's check-in remembers the phone ----------------


def test_a_code_typed_after_the_organizers_check_in_remembers_the_phone(
    app, client, db, make, login_as
):
    from volunteer_app.checkins.models import CheckIn, HoursOrigin
    from volunteer_app.volunteers.models import Device, Household

    from .test_claim_codes import code_of, entries, lüling
    from .test_identity import scan_new_device
    from .test_my_page import post

    _centre, station, organizer = lüling(make)
    volunteer = make.volunteer("吕大爷", phone="13800001002", registered_unit_id=station.id)
    activity = make.activity(station)
    db.session.add(
        CheckIn(
            activity=activity,
            volunteer=volunteer,
            checked_in_at=activity.starts_at,
            origin=HoursOrigin.ORGANIZER,
            recorded_by_id=organizer.id,
        )
    )
    db.session.commit()
    login_as(organizer)
    code = code_of(post(client, "/manage/volunteers/code", phone="13800001002", issue="1"))
    phone = app.test_client()
    response = scan_new_device(phone, app, activity, phone="13800001002", pin=code)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "您已签到" in html and "此手机已记住您" in html
    assert phone.get_cookie("vdev") is not None
    assert db.session.query(Device).filter_by(volunteer_id=volunteer.id).count() == 1
    assert len(entries(db, "volunteer.setup_code_used")) == 1
    assert db.session.get(Household, volunteer.household_id).setup_code_hash is None
    # the phone is this person's now: it must choose a PIN, then the scan is one tap
    assert phone.get("/me").headers["Location"].endswith("/me/pin")
    assert post(phone, "/me/pin", new_pin="8264", confirm="8264").status_code == 302
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    assert "吕大爷" in phone.get(path).get_data(as_text=True)


def test_a_remembered_phone_tapping_check_in_twice_is_still_told_so(app, db, client, make):
    from .test_checkin_loop import checkin_path, scan

    activity = make.activity()
    db.session.commit()
    path = checkin_path(app, activity)
    first = scan(client, path, name="李秀英", phone="13812341234", pin="2580", consent="y")
    assert first.status_code == 200
    token = re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
        client.get(path).get_data(as_text=True),
    ).group(1)
    again = client.post(path, data={"csrf_token": token, "action": "check_in"})
    assert again.status_code == 409 and "此手机已记住您" not in again.get_data(as_text=True)
