"""A paper sign-in sheet entered after the activity: typed or uploaded, checked, confirmed."""

import io
from datetime import timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.database import utcnow
from volunteer_app.volunteers.models import Volunteer

from ..conftest import csrf_token


def ended(make, **fields):
    """An activity that ended an hour ago, 3 hours long."""
    return make.activity(starts_at=(utcnow() - timedelta(hours=4)).replace(microsecond=0), **fields)


def typed(client, activity, lines, reason="纸质签到表补录"):
    url = f"/activities/{activity.id}/sheet"
    data = {
        "csrf_token": csrf_token(client, url),
        "reason": reason,
        "name": [],
        "phone": [],
        "hours": [],
    }
    for name, phone, hours in lines:
        data["name"].append(name)
        data["phone"].append(phone)
        data["hours"].append(hours)
    return client.post(url, data=data)


def token_of(html: str) -> str:
    import re

    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


def confirm(client, activity, html, consent=True):
    data = {"csrf_token": token_csrf(html), "token": token_of(html)}
    if consent:
        data["consent"] = "y"
    return client.post(f"/activities/{activity.id}/sheet/confirm", data=data)


def token_csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def records(db, activity):
    return db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.activity_id == activity.id)
    )


def test_a_typed_sheet_is_checked_then_entered_once(client, make, db, login_as):
    activity = ended(make)
    user = login_as(make.user(unit=activity.unit))
    mine = make.volunteer("李秀英", phone="13812341234", registered_unit_id=activity.unit_id)
    make.volunteer("王芳", phone="13900005678", registered_unit_id=activity.unit_id)
    make.volunteer("王芳", phone="13700005678", registered_unit_id=activity.unit_id)
    stranger = make.volunteer("陈静", phone="13500003333", registered_unit_id=make.unit().id)
    db.session.commit()
    response = typed(
        client,
        activity,
        [
            ("李秀英", "1234", "2"),
            ("王芳", "5678", ""),
            ("刘洋", "135 0000 2222", ""),
            ("陈静", "13500003333", "1"),
            ("周强", "1381234", "1"),
        ],
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "您的志愿者 138****1234" in html and "13812341234" not in html
    assert "新的现场登记，手机号 135****2222" in html
    assert "几位您的志愿者都符合，请填写完整手机号。" in html
    assert "此号码已登记" in html and "陈静" in html and "135****3333" not in html
    assert records(db, activity) == 0  # a check writes nothing
    page = html
    response = confirm(client, activity, page)
    assert response.status_code == 302 and response.headers["Location"].endswith("#hours")
    added = db.session.scalars(select(CheckIn).where(CheckIn.activity_id == activity.id)).all()
    assert sorted(r.minutes for r in added) == [120, 180]
    assert all(r.origin == HoursOrigin.ORGANIZER and r.recorded_by_id == user.id for r in added)
    walk_in = db.session.scalar(select(Volunteer).where(Volunteer.name == "刘洋"))
    assert walk_in.registered_by_id == user.id and walk_in.registered_unit_id == activity.unit_id
    assert stranger.id not in {r.volunteer_id for r in added} and mine.id in {
        r.volunteer_id for r in added
    }
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.activity_id == activity.id)
    ).all()
    assert sorted(actions) == ["hours.add", "hours.add", "hours.sheet", "volunteer.walk_in"]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已录入纸质签到表：为 2 名志愿者补录了时长 · 1 人现场登记" in shown
    # a second submit of the same check enters nothing
    again = confirm(client, activity, page)
    assert again.status_code == 302 and records(db, activity) == 2
    assert "此签到表已过期或已录入" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_walk_ins_need_the_consent_ticked(client, make, db, login_as):
    activity = ended(make)
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    html = typed(client, activity, [("刘洋", "13500002222", "1")]).get_data(as_text=True)
    response = confirm(client, activity, html, consent=False)
    assert response.status_code == 400 and records(db, activity) == 0
    assert "请确认新志愿者同意。" in response.get_data(as_text=True)
    response = confirm(client, activity, response.get_data(as_text=True))
    assert response.status_code == 302 and records(db, activity) == 1


def test_the_sheet_waits_for_the_end_and_a_reason(client, make, db, login_as):
    running = make.activity()
    login_as(make.user(unit=running.unit))
    db.session.commit()
    page = client.get(f"/activities/{running.id}/sheet").get_data(as_text=True)
    assert "活动结束后才能进行此操作。" in page and "纸质签到表在活动结束后录入" in page
    # only the message and the way back: no form that looks usable
    assert 'id="sheet-form"' not in page and 'id="sheet-upload"' not in page
    assert 'name="reason"' not in page and f'href="/activities/{running.id}"' in page
    response = typed(client, running, [("刘洋", "13500002222", "1")])
    assert response.status_code == 409 and records(db, running) == 0
    finished = ended(make, unit=running.unit)
    db.session.commit()
    response = typed(client, finished, [("刘洋", "13500002222", "1")], reason=" ")
    assert response.status_code == 400 and "请为整张签到表填写一个原因。" in response.get_data(
        as_text=True
    )
    assert 'value="刘洋"' in response.get_data(as_text=True)  # what was typed stays
    response = typed(client, finished, [])
    assert response.status_code == 400 and "签到表没有任何行" in response.get_data(as_text=True)


def test_an_uploaded_sheet_and_its_template(client, make, db, login_as):
    activity = ended(make)
    login_as(make.user(unit=activity.unit))
    make.volunteer("李秀英", phone="13812341234", registered_unit_id=activity.unit_id)
    db.session.commit()
    template = client.get(f"/activities/{activity.id}/sheet/template.xlsx")
    assert template.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]]
    assert headers == ["姓名", "手机号或后4位", "时长（小时）或起止时间"]
    book = Workbook()
    book.active.append(headers)
    book.active.append(["李秀英", "1234", 1.5])
    buffer = io.BytesIO()
    book.save(buffer)
    url = f"/activities/{activity.id}/sheet"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/upload",
        data={
            "upload-csrf_token": token,
            "upload-reason": "签到表",
            "upload-file": (io.BytesIO(buffer.getvalue()), "sheet.xlsx"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "您的志愿者 138****1234" in html
    assert confirm(client, activity, html).status_code == 302
    assert (
        db.session.scalar(select(CheckIn.minutes).where(CheckIn.activity_id == activity.id)) == 90
    )
    response = client.post(
        f"{url}/upload",
        data={
            "upload-csrf_token": token,
            "upload-reason": "签到表",
            "upload-file": (io.BytesIO(b"\x00garbage"), "sheet.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "无法读取该文件" in response.get_data(as_text=True)


def test_another_units_activity_and_their_token(client, make, db, login_as):
    theirs = ended(make)
    mine = ended(make)
    login_as(make.user(unit=mine.unit))
    db.session.commit()
    assert client.get(f"/activities/{theirs.id}/sheet").status_code == 404
    html = typed(client, mine, [("刘洋", "13500002222", "1")]).get_data(as_text=True)
    # the token of one activity's check enters nothing at another
    data = {"csrf_token": token_csrf(html), "token": token_of(html), "consent": "y"}
    assert client.post(f"/activities/{theirs.id}/sheet/confirm", data=data).status_code == 404
    other = ended(make, unit=mine.unit)
    db.session.commit()
    response = client.post(f"/activities/{other.id}/sheet/confirm", data=data)
    assert response.status_code == 302 and records(db, other) == 0


def test_odd_lines_are_told_apart_never_a_500(client, make, db, login_as):
    activity = ended(make)
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    odd = [
        ("名\u200b字", "13500002222", "1"),  # (a NUL is refused at the edge, 400)
        ("x" * 400, "13500002222", "1"),
        ("刘洋", "135000022221350000222213500002222", "1"),
        ("刘洋", "13500002222", "1e309"),
        ("刘洋", "13500002222", "-1"),
        ("刘洋", "13500002222", "２５：００-０１：００"),
        ("刘洋", "13500002222", "nan"),
    ]
    response = typed(client, activity, odd)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-1500:]
    assert html.count('class="list-item refused"') == len(odd)
    assert records(db, activity) == 0
    response = typed(client, activity, [("张三", "", "")] * 301)
    assert response.status_code == 400 and "最多 300 行" in response.get_data(as_text=True)


def test_a_finished_activitys_sheet_page_has_its_forms_and_no_closed_message(
    client, make, db, login_as
):
    finished = ended(make)
    login_as(make.user(unit=finished.unit))
    db.session.commit()
    page = client.get(f"/activities/{finished.id}/sheet").get_data(as_text=True)
    assert 'id="sheet-form"' in page and 'id="sheet-upload"' in page
    assert 'id="sheet-error"' not in page
