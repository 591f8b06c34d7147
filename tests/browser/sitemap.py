"""Every page a person reaches, arranged once with data behind each, for the axe and layout
tests: public pages, a volunteer's own pages (signed in with a PIN; she also leads a team,
so her team-leader pages are hers too) and the organizer console
(as a district admin, who reaches every organizer page including accounts and stars)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from volunteer_app.auth import invites
from volunteer_app.auth.models import Role
from volunteer_app.checkins import corrections, review, voids
from volunteer_app.checkins.keys import issue_kiosk_token
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.codes import seal
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.localtime import utc_to_local
from volunteer_app.needs.models import NeedStatus, ServiceItem
from volunteer_app.stations.models import UnitLevel
from volunteer_app.teams.models import MemberStatus
from volunteer_app.volunteers import certificates

from ..factories import Factory

PIN = "2580"
LONG_TITLE = "“学雷锋精神，树校园新风”主题教育活动暨校外志愿大扫除及交通安全宣传"
LONG_PLACE = "吕陵镇吕陵小学校园广场及周边主要街道、桂陵路与中华路交叉口"
#: The team running it (承办队伍, on its pages, poster, projector and the volunteer's records).
LONG_TEAM = "菏泽高新区万福街道桂陵社区卫生室家庭医生签约服务医护志愿服务队"


def arrange(live) -> dict:
    """A district → centre → station with a running activity (long Chinese title), a past
    one with confirmed hours and a voided record, a volunteer with a PIN, a certificate, one
    whose record was adjusted after it was issued, an open correction and a walk-in."""
    with live.app.app_context():
        make = Factory(db)
        district = make.unit(level=UnitLevel.DISTRICT)
        centre = make.unit(level=UnitLevel.CENTRE, parent=district)
        station = make.unit(name="桂陵社区新时代文明实践站", parent=centre)
        now = utcnow().replace(microsecond=0)
        running = make.activity(
            station, title=LONG_TITLE, place=LONG_PLACE, capacity=30, description="请穿运动鞋。"
        )
        past = make.activity(
            station,
            title="测血压、测血糖健康服务",
            starts_at=now - timedelta(days=7),
            minutes=240,
        )
        admin = make.user(role=Role.DISTRICT_ADMIN, unit=district)
        volunteer = make.volunteer("欧阳秀英")
        volunteer.household.pin_hash = generate_password_hash(PIN)
        volunteer.household.pin_set_at = now
        confirmed = CheckIn(
            activity=past,
            volunteer=volunteer,
            checked_in_at=past.starts_at,
            checked_out_at=past.ends_at,
            minutes=240,
            status=HoursStatus.CONFIRMED,
        )
        other = make.volunteer("郑海涛")
        # the volunteer leads the station's team, which runs the running activity (/lead)
        team = make.team(station, name=LONG_TEAM)
        make.member(team, volunteer, leader=True)
        make.member(team, other)
        asking = make.volunteer("孙晓燕")  # a request waiting on the leader's member page
        # a walk-in the organizer registered and nobody used: its registration can be voided
        walk_in = make.volunteer("刘建军", registered_by_id=admin.id, registered_unit_id=station.id)
        make.member(team, asking, status=MemberStatus.PENDING)
        running.team_id = team.id
        open_record = CheckIn(activity=past, volunteer=other, checked_in_at=past.starts_at)
        here = CheckIn(activity=running, volunteer=volunteer, checked_in_at=running.starts_at)
        # an earlier activity whose confirmed record the organizer cut after a certificate
        # listed it: that certificate says 已变更 (its verify page, the volunteer's page)
        earlier = make.activity(
            station, title="义务植树", starts_at=now - timedelta(days=14), minutes=180
        )
        cut = CheckIn(
            activity=earlier,
            volunteer=volunteer,
            checked_in_at=earlier.starts_at,
            checked_out_at=earlier.ends_at,
            minutes=180,
            status=HoursStatus.CONFIRMED,
        )
        # a test record on the past activity, voided: struck through on its hours section
        tester = make.volunteer("测试账号")
        junk = CheckIn(
            activity=past,
            volunteer=tester,
            checked_in_at=past.starts_at,
            checked_out_at=past.ends_at,
            minutes=240,
        )
        db.session.add_all([confirmed, open_record, here, cut, junk])
        db.session.flush()
        earlier_day = utc_to_local(earlier.starts_at).date()
        changed = certificates.issue(
            volunteer, start=earlier_day, end=earlier_day, now=now - timedelta(days=2)
        )
        review.adjust_hours(
            cut, admin, minutes=60, reason="提前离开，按实际时间更正", now=now - timedelta(days=1)
        )
        voids.void_record(junk, admin, reason="布置现场时的测试签到", now=now)
        today = utc_to_local(now).date()
        certificate = certificates.issue(
            volunteer, start=today - timedelta(days=30), end=today, now=now
        )
        correction = corrections.request_correction(
            other,
            open_record,
            proposed_in_at=None,
            proposed_out_at=past.ends_at,
            reason="忘记签退了，一直在路口发到活动结束。",
            now=now,
        )
        _, invite_token = invites.create_invite(
            admin, unit_id=station.id, display_name="王站长", note="微信发送", now=now
        )
        job = Job(
            kind="export.checkins",
            owner_id=admin.id,
            unit_id=district.id,
            params={"period": "year", "year": str(today.year), "fmt": "xlsx", "lang": "zh"},
            status=JobStatus.RUNNING,
            rows_done=41_000,
            rows_total=120_000,
            created_at=now,
            started_at=now,
            heartbeat_at=now,
        )
        db.session.add(job)
        # a resident's order from the station, dispatched to the volunteer's team (/lead/needs)
        need = make.need(
            station,
            title="上门为独居老人测血压、测血糖",
            status=NeedStatus.DISPATCHED,
            team_id=team.id,
            take_by=now + timedelta(hours=48),
            contact_name="欧阳桂芝",
        )
        # the centre's service menu: an item by the station's team, with times left
        item = ServiceItem(
            unit_id=centre.id,
            team_id=team.id,
            category_id=running.category_id,
            title="上门为独居老人测血压、测血糖",
            description="社区医生上门为行动不便的老人测血压、血糖，每户每月一次。",
            audience="03",
            remaining=12,
        )
        db.session.add(item)
        db.session.commit()
        secret = live.app.config["SECRET_KEY"]
        return {
            "admin": admin.username,
            "centre": centre.id,
            "station": station.id,
            "phone": volunteer.phone,
            "running": running.id,
            "past": past.id,
            "here": here.id,
            "confirmed": confirmed.id,
            "other": other.id,
            "walk_in": walk_in.id,
            "certificate": certificate.id,
            "verify": "/v/" + certificates.sign_code(secret, certificate.id),
            "changed_certificate": changed.id,
            "verify_changed": "/v/" + certificates.sign_code(secret, changed.id),
            "correction": correction.id,
            "scan": "/c/" + issue_token(secret, running.checkin_key),
            "kiosk": "/k/" + issue_kiosk_token(secret, running.kiosk_key),
            "invite": "/invite/" + invite_token,
            "job": job.id,
            "team": team.id,
            "need": need.id,
            "item": item.id,
            "track": "/n/" + seal(secret, "need.v1", need.tracking_key),
        }


def public_pages(w: dict) -> list[tuple[str, str]]:
    """Pages anyone reaches without signing in: (url, screenshot name)."""
    return [
        ("/", "home"),
        (w["scan"], "checkin"),
        ("/login", "login"),
        ("/discover", "discover"),
        (f"/discover/{w['running']}", "discover-detail"),
        ("/me/register", "register"),
        ("/me/sign-in", "sign-in"),
        (w["verify"], "verify"),
        (w["verify_changed"], "verify-changed"),
        ("/v/k1.forged", "verify-forged"),
        (w["kiosk"], "kiosk"),
        ("/offline", "offline"),
        ("/no-such-page", "not-found"),
        (w["invite"], "invite-accept"),
        ("/invite/forged", "invite-invalid"),
        (f"/needs/new?station={w['station']}", "need-new"),
        (f"/needs/new?station={w['station']}&item={w['item']}", "need-new-from-menu"),
        ("/needs", "need-board"),
        (w["track"], "need-track"),
    ]


def volunteer_pages(w: dict) -> list[tuple[str, str]]:
    """A signed-in volunteer's own pages."""
    return [
        ("/me", "me"),
        ("/me/card", "card"),
        ("/me/certificates", "certificate-new"),
        (f"/me/certificates/{w['certificate']}", "certificate"),
        (f"/me/certificates/{w['changed_certificate']}", "certificate-changed"),
        (f"/me/records/{w['confirmed']}/correction", "correction-new"),
        ("/me/pin", "pin"),
        ("/me/delete", "delete"),
        (f"/discover/{w['running']}", "discover-detail-signed-in"),
        (w["scan"], "checkout-offer"),
        (f"/lead/activities/{w['running']}", "lead-activity"),
        (f"/lead/activities/{w['running']}/scanner", "lead-scanner"),
        (f"/lead/teams/{w['team']}", "lead-team"),
        ("/lead/needs", "lead-needs"),
        (f"/lead/needs/{w['need']}", "lead-need"),
    ]


def organizer_pages(w: dict) -> list[tuple[str, str]]:
    """Every organizer console page (as a district admin)."""
    a = w["running"]
    return [
        ("/activities", "activities"),
        ("/activities/new", "activity-new"),
        (f"/activities/{a}", "activity"),
        (f"/activities/{w['past']}", "activity-past"),  # with a voided record, struck through
        (f"/activities/{a}/edit", "activity-edit"),
        (f"/activities/{a}/duplicate", "activity-duplicate"),
        (f"/activities/{a}/poster", "poster"),
        (f"/activities/{a}/projector", "projector"),
        (f"/activities/{a}/scanner", "scanner"),
        (f"/activities/{a}/checkin", "manual-checkin"),
        (f"/activities/{a}/checkins/{w['here']}/adjust", "adjust"),
        (f"/activities/{a}/checkins/{w['here']}/void", "void"),
        (f"/activities/{w['past']}/volunteers/{w['other']}/add-hours", "add-hours"),
        (f"/activities/{w['past']}/sheet", "paper-sheet"),
        (f"/activities/{a}/sheet", "paper-sheet-not-yet"),
        ("/accounts", "accounts"),
        ("/accounts/invites", "invites"),
        ("/manage/corrections", "corrections"),
        (f"/manage/corrections/{w['correction']}", "correction-decide"),
        ("/manage/volunteers/code", "one-time-code"),
        ("/manage/stars", "stars"),
        ("/volunteers", "roster"),
        (f"/volunteers/{w['other']}", "roster-detail"),
        (f"/volunteers/{w['walk_in']}/void", "void-registration"),
        ("/account/password", "own-password"),
        ("/reports/", "reports"),
        ("/account/api-tokens", "api-tokens"),
        ("/units", "units"),
        (f"/units/{w['centre']}", "unit-centre"),
        (f"/units/{w['station']}", "unit-station"),
        (f"/units/{w['station']}/edit", "unit-edit"),
        ("/units/import", "unit-import"),
        ("/jobs", "jobs"),
        (f"/jobs/{w['job']}", "job-progress"),
        ("/teams", "teams"),
        ("/teams/new", "team-new"),
        (f"/teams/{w['team']}", "team"),
        (f"/teams/{w['team']}/edit", "team-edit"),
        (f"/teams/{w['team']}/card", "team-card"),
        ("/needs/queue", "need-queue"),
        ("/needs/proxy", "need-proxy"),
        (f"/needs/{w['need']}", "need"),
        (f"/needs/poster?unit={w['station']}", "need-poster"),
        ("/needs/deadlines", "need-deadlines"),
        (f"/needs/deadlines/{w['centre']}", "need-deadlines-edit"),
        ("/needs/menu", "need-menu"),
        ("/needs/menu/new", "need-menu-new"),
        (f"/needs/menu/{w['item']}", "need-menu-edit"),
    ]


def sign_in_organizer(page, username: str) -> None:
    """Sign in on the console's login form."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(Factory.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="活动")).to_be_visible()


def sign_in_volunteer(page, phone: str) -> None:
    """Sign in on this device with the mobile number and PIN."""
    page.goto("/me/sign-in")
    page.get_by_label("手机号", exact=True).fill(phone)
    page.get_by_label("密码或一次性验证码").fill(PIN)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="欧阳秀英")).to_be_visible()
