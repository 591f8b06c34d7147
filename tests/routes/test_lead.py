"""A team leader's check-in (/lead, volunteer_app/teams/lead.py): at their team's
activities only, for the team's members only, audited as theirs, never self-made."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.activities.models import Activity
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth import scoping
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.checkins.organizer import Action, record_for
from volunteer_app.database import utcnow
from volunteer_app.volunteers.cards import issue_card

from ..conftest import csrf_token
from .test_races import organizer as signed_in
from .test_races import phone, remembered

JSON = {"Accept": "application/json"}


@dataclass
class Team:
    station: object
    team: object
    leader: object
    member: object
    outsider: object  # registered at the same station, in no team
    led: object  # the team's activity, running now
    unit_own: object  # the station's own activity, no team
    cookie: str


def build(make, db, app) -> Team:
    station = make.unit(name="万福社区新时代文明实践站")
    team = make.team(station, name="万福社区卫生服务中心医护志愿服务队")
    leader = make.volunteer("王队长", phone="13811110001", registered_unit_id=station.id)
    member = make.volunteer("李秀英", phone="13811110002")
    outsider = make.volunteer("张桂兰", phone="13811110003", registered_unit_id=station.id)
    make.member(team, leader, leader=True)
    make.member(team, member)
    led = make.activity(station, title="测血压、测血糖", team_id=team.id)
    own = make.activity(station, title="站点自己的活动")
    cookie = remembered(app, db, leader)
    db.session.commit()
    return Team(station, team, leader, member, outsider, led, own, cookie)


def text(response) -> str:
    return response.get_data(as_text=True)


def records(db) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def test_the_leader_sees_their_activity_on_their_page_and_its_members_masked(app, make, db):
    world = build(make, db, app)
    client = phone(app, world.cookie)
    page = text(client.get("/me"))
    assert f'href="/lead/activities/{world.led.id}"' in page
    assert f"/lead/activities/{world.unit_own.id}" not in page
    response = client.get(f"/lead/activities/{world.led.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = text(response)
    assert "李秀英" in body and "138****0002" in body and "13811110002" not in body
    assert "张桂兰" not in body  # not a member
    # no organizer's tools
    for tool in ("/hours", "/export", "/confirm", "/activities/"):
        assert f'href="{tool}' not in body


def test_a_plain_member_has_no_led_activities_on_their_page(app, make, db):
    world = build(make, db, app)
    cookie = remembered(app, db, world.member)
    db.session.commit()
    assert "/lead/activities/" not in text(phone(app, cookie).get("/me"))


def test_group_check_in_records_members_as_the_leaders_and_never_self_made(app, make, db):
    world = build(make, db, app)
    client = phone(app, world.cookie)
    page = f"/lead/activities/{world.led.id}"
    token = csrf_token(client, page)
    ids = [str(world.member.id), str(world.leader.id)]
    data = {"csrf_token": token, "action": "check_in", "volunteer_ids": ids}
    assert client.post(f"{page}/checkin", data=data).status_code == 302
    rows = {r.volunteer_id: r for r in db.session.scalars(select(CheckIn))}
    assert set(rows) == {world.member.id, world.leader.id}
    for row in rows.values():
        assert row.self_made is False and row.origin == HoursOrigin.ORGANIZER
        assert row.recorded_by_id is None
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("check%"))))
    assert {(e.action, e.actor_volunteer_id, e.actor_user_id) for e in entries} == {
        ("checkin.by_leader", world.leader.id, None)
    }
    # the member came to the station through no record of their own: not the station's
    organizer = make.user(unit=world.station)
    assert not scoping.may_act_for(organizer, world.member)
    # who is still in, and their check-out
    body = text(client.get(page))
    assert "138****0002" in body
    data = {"csrf_token": token, "action": "check_out", "volunteer_ids": [str(world.member.id)]}
    assert client.post(f"{page}/checkin", data=data).status_code == 302
    db.session.expire_all()
    out = db.session.scalar(select(CheckIn).where(CheckIn.volunteer_id == world.member.id))
    assert out.checked_out_at is not None and out.recorded_by_id is None
    assert (
        db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "checkout.by_leader", AuditEntry.checkin_id == out.id
            )
        ).actor_volunteer_id
        == world.leader.id
    )
    live = client.get(f"{page}/live.json").get_json()
    assert live == {"checked_in": 2, "here": 1, "checked_out": 1, "total_hours": "0"}


def _flashes(client, response) -> list[str]:
    page = text(client.get(response.headers["Location"]))
    return re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', page)


def test_a_non_member_is_answered_as_no_one_by_id_and_by_card(app, make, db):
    world = build(make, db, app)
    client = phone(app, world.cookie)
    page = f"/lead/activities/{world.led.id}"
    token = csrf_token(client, page)
    secret = app.config["SECRET_KEY"]
    answers = []
    for who in (world.outsider.id, 2_000_000_000):
        data = {"csrf_token": token, "action": "check_in", "volunteer_ids": [str(who)]}
        answers.append(_flashes(client, client.post(f"{page}/checkin", data=data)))
    assert answers[0] == answers[1] and answers[0]
    cards = [issue_card(secret, world.outsider.card_key), issue_card(secret, "x" * 22)]
    scans = []
    for code in cards:
        response = client.post(
            f"{page}/scanner", data={"csrf_token": token, "code": code}, headers=JSON
        )
        scans.append((response.status_code, response.get_json()))
    assert scans[0] == scans[1] and scans[0][1]["ok"] is False
    assert "张桂兰" not in str(scans)
    queued = {"csrf_token": token, "code": cards[0], "action": "check_in"}
    queued["scanned_at"] = utcnow().isoformat()
    response = client.post(f"{page}/scanner", data=queued, headers=JSON)
    assert response.get_json()["ok"] is False and "张桂兰" not in text(response)
    assert records(db) == 0


def test_the_scanner_checks_a_member_in_then_out_and_queued_scans_count(app, make, db):
    world = build(make, db, app)
    client = phone(app, world.cookie)
    scanner = f"/lead/activities/{world.led.id}/scanner"
    page = text(client.get(scanner))
    assert f'data-post-url="{scanner}"' in page and f'action="{scanner}"' in page
    assert "css/manage" in page  # the scanner's lists keep their styles
    token = csrf_token(client, scanner)
    code = issue_card(app.config["SECRET_KEY"], world.member.card_key)
    first = client.post(scanner, data={"csrf_token": token, "code": code}, headers=JSON)
    assert first.get_json()["ok"] and first.get_json()["action"] == "check_in"
    # a check-out a moment after check-in asks first, as on the organizer's scanner
    asked = client.post(scanner, data={"csrf_token": token, "code": code}, headers=JSON)
    assert asked.status_code == 409 and asked.get_json()["code"] == "confirm_checkout"
    data = {"csrf_token": token, "code": code, "confirmed": "1"}
    second = client.post(scanner, data=data, headers=JSON)
    assert second.get_json()["action"] == "check_out"
    leader_code = issue_card(app.config["SECRET_KEY"], world.leader.card_key)
    data = {"csrf_token": token, "code": leader_code, "action": "check_in"}
    data["scanned_at"] = utcnow().isoformat()
    assert client.post(scanner, data=data, headers=JSON).get_json()["ok"]
    queued = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scan.queued"))
    assert queued.actor_volunteer_id == world.leader.id and queued.actor_user_id is None
    assert records(db) == 2
    # the organizer's change log names the leader
    organizer = make.user(unit=world.station)
    db.session.commit()
    detail = text(signed_in(app, organizer).get(f"/activities/{world.led.id}"))
    assert "王队长" in detail


def test_without_csrf_a_leaders_post_records_nothing(app, make, db):
    world = build(make, db, app)
    client = phone(app, world.cookie)
    page = f"/lead/activities/{world.led.id}"
    data = {"action": "check_in", "volunteer_ids": [str(world.member.id)]}
    assert client.post(f"{page}/checkin", data=data).status_code == 400
    code = issue_card(app.config["SECRET_KEY"], world.member.card_key)
    assert client.post(f"{page}/scanner", data={"code": code}, headers=JSON).status_code == 400
    assert records(db) == 0


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_a_draft_or_cancelled_team_activity_is_not_found(app, make, db, status):
    world = build(make, db, app)
    activity = db.session.get(Activity, world.led.id)
    activity.status = status
    db.session.commit()
    assert phone(app, world.cookie).get(f"/lead/activities/{activity.id}").status_code == 404


def test_two_leaders_checking_in_one_member_at_once_make_one_record(app, make, db):
    from ..races import Race

    world = build(make, db, app)
    second = make.volunteer("副队长", phone="13811110009")
    make.member(world.team, second, leader=True)
    cookies = {"first": world.cookie, "second": remembered(app, db, second)}
    db.session.commit()
    page = f"/lead/activities/{world.led.id}"
    member_id = world.member.id  # read here: the actors never load through this session

    def tick(cookie):
        def run(go):
            client = phone(app, cookie)
            token = csrf_token(client, page)
            data = {"csrf_token": token, "action": "check_in"}
            data["volunteer_ids"] = [str(member_id)]
            go()
            response = client.post(f"{page}/checkin", data=data)
            return response.status_code, _flashes(client, response)

        return run

    race = Race(app, db)
    for name, cookie in cookies.items():
        race.actor(name, tick(cookie))
    results = race.run(hold="first")
    assert [status for status, _ in results.values()] == [302, 302]
    (record,) = db.session.scalars(select(CheckIn))
    assert record.volunteer_id == member_id
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.checkin_id == record.id)))
    assert len(entries) == 1 and entries[0].action == "checkin.by_leader"
    flashes = sorted(" ".join(f) for _, f in results.values())
    assert sum("already checked in" in f for f in flashes) == 1, flashes


def test_hostile_names_render_inert_on_the_leaders_pages(app, make, db):
    hostile = '<script>alert("x")</script>'
    station = make.unit()
    team = make.team(station, name=hostile)
    leader = make.volunteer(hostile, phone="13811110011")
    make.member(team, leader, leader=True)
    activity = make.activity(station, title=hostile, team_id=team.id)
    cookie = remembered(app, db, leader)
    db.session.commit()
    client = phone(app, cookie)
    for url in (
        "/me",
        f"/lead/activities/{activity.id}",
        f"/lead/activities/{activity.id}/scanner",
    ):
        body = text(client.get(url))
        assert hostile not in body and "&lt;script&gt;" in body, url


def test_the_members_record_names_the_team_and_says_the_leader_recorded_it(app, make, db):
    """On the member's own page, the record of the team's activity names the team and says
    the team leader recorded it; a record by an organizer still says the organizer's."""
    world = build(make, db, app)
    # yesterday, at the station's own activity, an organizer checked the member in and out
    yesterday = world.led.starts_at - timedelta(days=1)
    by_desk = make.activity(world.station, title="站点的环境整治", starts_at=yesterday)
    desk = make.user(unit=world.station)
    for action, minutes in ((Action.CHECK_IN, 5), (Action.CHECK_OUT, 120)):
        at = yesterday + timedelta(minutes=minutes)
        record_for(by_desk, desk, world.member, action, now=at)
    db.session.commit()
    client = phone(app, world.cookie)
    page = f"/lead/activities/{world.led.id}"
    data = {"csrf_token": csrf_token(client, page), "action": "check_in"}
    data["volunteer_ids"] = [str(world.member.id)]
    assert client.post(f"{page}/checkin", data=data).status_code == 302
    member = phone(app, remembered(app, db, world.member))
    db.session.commit()

    def records() -> dict[str, str]:
        """The member's records on their page, by activity title."""
        html = text(member.get("/me")).split('id="history-title"')[1]
        items = html.split('<li class="list-item">')[1:]
        return {
            title: item
            for title in ("测血压、测血糖", "站点的环境整治")
            for item in items
            if title in item
        }

    led = records()["测血压、测血糖"]
    assert "recorded by the team leader" in led and "recorded by an organizer" not in led
    assert "Team: 万福社区卫生服务中心医护志愿服务队" in led
    own = records()["站点的环境整治"]
    assert "recorded by an organizer" in own and "Team:" not in own
    # in Chinese, as the member reads it
    member.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    led = records()["测血压、测血糖"]
    assert "队长录入" in led and "承办队伍：万福社区卫生服务中心医护志愿服务队" in led
    assert "组织者录入" in records()["站点的环境整治"]
