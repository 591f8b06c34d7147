"""My page, devices, one-time codes from organizers, star settings and certificates."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.database import utcnow
from volunteer_app.volunteers.certificates import sign_code
from volunteer_app.volunteers.models import Certificate, Device, Volunteer

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin


def served(make, volunteer, activity, minutes: int, status=HoursStatus.CONFIRMED, **fields):
    """A finished record of ``volunteer`` at ``activity``."""
    record = CheckIn(
        activity=activity,
        volunteer=volunteer,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.starts_at + timedelta(minutes=minutes),
        minutes=minutes,
        status=status,
        **fields,
    )
    make.db.session.add(record)
    make.db.session.flush()
    return record


def post(client, url, form_url=None, **data):
    """POST with the CSRF token of ``form_url`` (default ``url``)."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data})


def test_my_page_needs_a_remembered_device(client):
    response = client.get("/me")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/sign-in")


def test_my_page_shows_totals_stars_history_and_the_unmasked_phone(app, db, client, make):
    volunteer = with_pin(make.volunteer(name="李秀英", phone="13812341234"))
    station = make.unit(name="万福社区卫生服务中心")
    day = utcnow().replace(microsecond=0) - timedelta(days=3)
    served(make, volunteer, make.activity(station, title="测血压", starts_at=day), 6000)
    served(
        make,
        volunteer,
        make.activity(station, title="植树", starts_at=day - timedelta(days=1)),
        90,
        status=HoursStatus.PENDING,
        origin=HoursOrigin.ORGANIZER,
        recorded_by_id=make.user(unit=station).id,  # as every organizer's path records it
    )
    db.session.commit()
    assert sign_in(client, "13812341234", PIN).status_code == 302
    response = client.get("/me")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "13812341234" in html
    assert '<span class="n">100</span> 已确认时长' in html
    assert '<span class="n">1.5</span> 待确认时长' in html
    assert "1 星级志愿者" in html and "再有 200 小时确认时长即可达到 2 星" in html
    assert "测血压" in html and "植树" in html and "万福社区卫生服务中心" in html
    assert "组织者录入" in html and "本人扫码" in html and "待确认" in html


def test_district_admin_chooses_the_star_preset_and_my_page_follows(
    app, db, client, make, login_as
):
    volunteer = with_pin(make.volunteer(phone="13812341234"))
    served(make, volunteer, make.activity(starts_at=utcnow() - timedelta(days=2)), 60 * 60)
    admin = make.user(role=Role.DISTRICT_ADMIN)
    station_organizer = make.user()
    db.session.commit()
    volunteer_phone = app.test_client()
    sign_in(volunteer_phone, "13812341234", PIN)
    assert "尚未获得星级" in volunteer_phone.get("/me").get_data(as_text=True)

    login_as(station_organizer)
    assert client.get("/manage/stars").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/activities")})
    login_as(admin)
    assert post(client, "/manage/stars", preset="zhangjiagang").status_code == 302
    assert "2 星级志愿者" in volunteer_phone.get("/me").get_data(as_text=True)
    assert post(client, "/manage/stars", preset="mars").status_code == 400
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.star_preset"))
    assert entry.actor_user_id == admin.id and entry.new_value == {"preset": "zhangjiagang"}


def test_devices_are_listed_and_can_be_signed_out(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    other = app.test_client()
    sign_in(other, "13812341234", PIN)
    assert other.get("/me").status_code == 200
    html = client.get("/me").get_data(as_text=True)
    assert html.count("退出此设备") == 2 and "本机" in html
    other_id = db.session.scalars(select(Device.id).order_by(Device.id)).all()[1]
    response = post(client, f"/me/devices/{other_id}/sign-out", form_url="/me")
    assert response.status_code == 302
    assert other.get("/me").status_code == 302  # the signed-out phone is a stranger again
    assert client.get("/me").status_code == 200


def test_no_one_can_sign_out_someone_elses_device(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    with_pin(make.volunteer(phone="13912341234"))
    db.session.commit()
    victim = app.test_client()
    sign_in(victim, "13912341234", PIN)
    victim_device = db.session.scalar(select(Device.id))
    sign_in(client, "13812341234", PIN)
    response = post(client, f"/me/devices/{victim_device}/sign-out", form_url="/me")
    assert response.status_code == 404
    assert victim.get("/me").status_code == 200


def test_organizer_of_a_station_where_they_served_gives_a_one_time_code(
    app, db, client, make, login_as
):
    volunteer = make.volunteer(name="王建国", phone="13800001002")  # no PIN (seed, walk-in)
    station = make.unit()
    served(make, volunteer, make.activity(station), 120, self_made=True)  # came themselves
    organizer = make.user(unit=station)
    stranger_station = make.user()
    db.session.commit()

    login_as(stranger_station)
    response = post(client, "/manage/volunteers/code", phone="13800001002", issue="1")
    assert response.status_code == 404 and "王建国" not in response.get_data(as_text=True)
    assert db.session.get(Volunteer, volunteer.id).household.setup_code_hash is None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/activities")})

    login_as(organizer)
    found = post(client, "/manage/volunteers/code", phone="13800001002")
    assert "王建国" in found.get_data(as_text=True) and "138****1002" in found.get_data(
        as_text=True
    )
    issued = post(client, "/manage/volunteers/code", phone="13800001002", issue="1")
    code = re.search(r'id="setup-code" class="code">(\d{8})<', issued.get_data(as_text=True))[1]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "volunteer.setup_code_issued")
    )
    assert entry.actor_user_id == organizer.id and entry.volunteer_id == volunteer.id
    assert code not in (db.session.get(Volunteer, volunteer.id).household.setup_code_hash or "")

    phone = app.test_client()
    response = sign_in(phone, "13800001002", code)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/pin")
    assert post(phone, "/me/pin", new_pin="8264", confirm="8264").status_code == 302
    # The code worked once; the new PIN works; the volunteer sees who gave the code.
    assert sign_in(app.test_client(), "13800001002", code).status_code == 401
    assert sign_in(app.test_client(), "13800001002", "8264").status_code == 302
    assert "组织者发放了一次性验证码" in phone.get("/me").get_data(as_text=True)


def test_an_expired_one_time_code_is_refused(app, db, client, make):
    from volunteer_app.volunteers import identity

    volunteer = make.volunteer(phone="13800001002")
    organizer = make.user()
    code = identity.issue_setup_code(volunteer, organizer_id=organizer.id, now=utcnow())
    volunteer.household.setup_code_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(client, "13800001002", code).status_code == 401


def test_changing_the_pin_needs_the_current_one(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    response = post(client, "/me/pin", current_pin="0000", new_pin="8264", confirm="8264")
    assert response.status_code == 400 and "当前密码不正确" in response.get_data(as_text=True)
    response = post(client, "/me/pin", current_pin=PIN, new_pin="8264", confirm="8265")
    assert response.status_code == 400 and "两次输入的密码不一致" in response.get_data(as_text=True)
    assert (
        post(client, "/me/pin", current_pin=PIN, new_pin="8264", confirm="8264").status_code == 302
    )
    assert sign_in(app.test_client(), "13812341234", "8264").status_code == 302


def test_my_card_carries_the_signed_card_code(app, db, client, make):
    import io

    import zxingcpp
    from PIL import Image

    from volunteer_app import qr
    from volunteer_app.volunteers.cards import verify_card

    volunteer = with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    html = client.get("/me/card").get_data(as_text=True)
    assert "<svg" in html and "viewBox" in html
    # The card's SVG is the rendering of the volunteer's card code.
    from volunteer_app.volunteers.cards import issue_card

    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    assert qr.render_svg(code) in html
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.render_png(code))))[0].text
    assert verify_card(app.config["SECRET_KEY"], decoded) == volunteer.card_key


def test_certificate_is_issued_from_confirmed_hours_and_verifiable(app, db, client, make):
    volunteer = with_pin(make.volunteer(name="李秀英", phone="13812341234"))
    station = make.unit(name="万福社区卫生服务中心")
    other_station = make.unit(name="吕陵小学")
    day = utcnow().replace(microsecond=0) - timedelta(days=2)
    served(make, volunteer, make.activity(station, title="测血压、测血糖", starts_at=day), 180)
    served(make, volunteer, make.activity(other_station, title="主题班会", starts_at=day), 60)
    served(
        make,
        volunteer,
        make.activity(station, title="未确认活动", starts_at=day),
        120,
        status=HoursStatus.PENDING,
    )
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    today = (utcnow() + timedelta(hours=8)).date()
    start = (today - timedelta(days=30)).isoformat()
    response = post(client, "/me/certificates", start=start, end=today.isoformat())
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in (
        "志愿服务记录证明",
        "李秀英",
        "测血压、测血糖",
        "主题班会",
        "4 小时",
        "ZYZM-",
        "万福社区卫生服务中心、吕陵小学",
        "记录单位",
        "服务内容",
        "开具日期",
    ):
        assert text in html, text
    assert "未确认活动" not in html
    cert = db.session.scalar(select(Certificate))
    assert cert.minutes == 240

    verify = re.search(r'class="url small">([^<]+)<', html)[1]
    assert verify.startswith("http://localhost/v/k")
    public = app.test_client().get(verify.removeprefix("http://localhost"))
    body = public.get_data(as_text=True)
    assert public.status_code == 200 and "证明真实有效" in body and "李秀英" in body
    assert cert.number in body and "4 小时" in body

    forged = sign_code("someone-elses-key-0123456789abcdef", cert.id)
    for bad in (forged, verify.rsplit("/", 1)[1].replace("k1.", "k2."), "k1.x", "证明"):
        response = app.test_client().get(f"/v/{bad}")
        assert response.status_code == 400
        assert "该核验码无效" in response.get_data(as_text=True)


def test_certificate_period_without_confirmed_hours_or_backwards(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    response = post(client, "/me/certificates", start="2026-01-01", end="2026-01-31")
    assert response.status_code == 400 and "没有已确认的服务时长" in response.get_data(as_text=True)
    response = post(client, "/me/certificates", start="2026-02-01", end="2026-01-31")
    assert response.status_code == 400 and "结束日期不能早于开始日期" in response.get_data(
        as_text=True
    )
    response = post(client, "/me/certificates", start="not-a-date", end="2026-01-31")
    assert response.status_code == 400


def test_only_the_holder_sees_the_certificate_page(app, db, client, make):
    holder = with_pin(make.volunteer(phone="13812341234"))
    with_pin(make.volunteer(phone="13912341234"))
    served(make, holder, make.activity(starts_at=utcnow() - timedelta(days=1)), 60)
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    today = (utcnow() + timedelta(hours=8)).date()
    start = (today - timedelta(days=30)).isoformat()
    location = post(client, "/me/certificates", start=start, end=today.isoformat()).headers[
        "Location"
    ]
    other = app.test_client()
    sign_in(other, "13912341234", PIN)
    assert other.get(location).status_code == 404


def test_a_certificate_follows_its_records(app, db, client, make):
    from volunteer_app.checkins import review

    volunteer = with_pin(make.volunteer(name="李秀英", phone="13812345678"))
    station = make.unit(name="万福社区卫生服务中心")
    organizer = make.user(unit=station)
    day = utcnow().replace(microsecond=0) - timedelta(days=2)
    record = served(make, volunteer, make.activity(station, title="测血压", starts_at=day), 180)
    db.session.commit()
    sign_in(client, "13812345678", PIN)
    today = (utcnow() + timedelta(hours=8)).date()
    response = post(
        client,
        "/me/certificates",
        start=(today - timedelta(days=7)).isoformat(),
        end=today.isoformat(),
    )
    location = response.headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert "出具单位：万福社区卫生服务中心" in html and "盖章处" in html
    verify = re.search(r'class="url small">([^<]+)<', html)[1].removeprefix("http://localhost")
    assert "证明真实有效" in app.test_client().get(verify).get_data(as_text=True)

    # The organizer cuts the confirmed record to 0 h afterwards.
    review.adjust_hours(record, organizer, minutes=0, reason="未到场", now=utcnow())
    record.status = HoursStatus.CONFIRMED
    db.session.commit()
    body = app.test_client().get(verify).get_data(as_text=True)
    assert "证明真实有效" not in body
    assert "已变更：记录已更正，请重新开具" in body and "变更日期" in body
    assert "现为 0 小时" in body
    mine = client.get("/me").get_data(as_text=True)
    assert "已变更：记录已更正，请重新开具" in mine
    page = client.get(location).get_data(as_text=True)
    assert "重新开具证明" in page
