"""Every route, found by walking the URL map: anonymous callers, other stations and other
volunteers get nowhere.

A new route is covered automatically. A route with an id parameter this file does not know
fails the test until a filler below says how to make someone else's object for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.api.services import create_token
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow

from ..conftest import csrf_token

#: Endpoints anyone may use.
PUBLIC = {
    "static",
    "assets.hashed",
    "activities.home",
    "auth.login",
    "checkins.scan",
    "checkins.scan_submit",
    "health.healthz",
    "api.openapi",
    "api.self_check_in",  # a volunteer's own scan: QR token + PIN or device key (tests/api)
    "api.self_check_out",
    "checkins.kiosk",  # gated by a signed kiosk token (tests/routes/test_projector.py)
    "checkins.kiosk_live",
    "pwa.manifest",
    "pwa.service_worker",
    "pwa.offline",
    "activities.discover",  # published activities of every station are public
    "activities.discover_detail",
    "volunteers.register",
    "volunteers.sign_in",
    "volunteers.verify",  # anyone may verify a certificate: that is its point
    "auth.accept_invite",  # gated by the invite's token (tests/routes/test_invites.py)
    "team_join.page",  # gated by the team's join key (tests/routes/test_team_join.py)
    # residents order without an account; the tracking pages are gated by a sealed key
    # (tests/routes/test_needs_public.py)
    "needs.new",
    "needs.board",
    "needs.track",
    "needs.urge",
    "needs.withdraw",
    "needs.rate",
    "needs.export",
    "needs.erase",
}


def is_volunteer_route(rule) -> bool:
    """Routes that act for the volunteer this device remembers (not for an organizer): their
    own pages, and a team leader's (``/lead``)."""
    return rule.rule.startswith(("/me", "/lead", "/t/")) or rule.endpoint in {
        "activities.sign_up",
        "activities.cancel",
    }


class Other:
    """Objects that belong to another station, its organizer and one of its volunteers."""

    def __init__(self, make, db):
        from volunteer_app.auth.models import Invite, Role
        from volunteer_app.checkins import services as checkins
        from volunteer_app.checkins.models import Correction
        from volunteer_app.jobs.models import Job, JobStatus
        from volunteer_app.needs.models import ServiceItem
        from volunteer_app.volunteers.models import Certificate, Device

        self.activity = make.activity(title="别的站点的活动")
        self.user = make.user(unit=self.activity.unit)
        self.token, _ = create_token(self.user, "theirs", now=utcnow())
        self.volunteer = make.volunteer("别人的志愿者")
        now = self.activity.starts_at
        self.checkin = checkins.check_in(self.activity, self.volunteer, now=now)
        db.session.flush()
        self.device = Device(volunteer_id=self.volunteer.id, key="other-device-key", created_at=now)
        self.certificate = Certificate(
            number="ZYZ-TEST-1",
            volunteer_id=self.volunteer.id,
            holder_name="别人的志愿者",
            period_start=now.date(),
            period_end=now.date(),
            minutes=60,
            issuers="别的站点",
            lines=[],
            issued_at=now,
        )
        self.correction = Correction(
            checkin_id=self.checkin.id,
            volunteer_id=self.volunteer.id,
            reason="忘记签退",
            created_at=now,
        )
        db.session.add_all([self.device, self.certificate, self.correction])
        self.invite = Invite(
            token_hash="0" * 64,
            unit_id=self.activity.unit_id,
            role=Role.STATION_ORGANIZER,
            created_by_id=self.user.id,
            created_at=now,
            expires_at=utcnow() + timedelta(days=7),
        )
        db.session.add(self.invite)
        db.session.flush()
        # the other station's team and its member (a team's join page is public, by its key)
        self.team = make.team(self.activity.unit, name="别的站点的队伍")
        self.member = make.member(self.team, self.volunteer)
        self.need = make.need(self.activity.unit, title="别的站点的需求")
        self.item = ServiceItem(
            unit_id=self.activity.unit_id,
            team_id=self.team.id,
            category_id=self.activity.category_id,
            title="别的站点的服务",
            remaining=3,
        )
        db.session.add(self.item)
        self.job = Job(
            kind="export.attendance",
            owner_id=self.user.id,
            unit_id=self.activity.unit_id,
            params={"activity": self.activity.id, "fmt": "xlsx", "lang": "zh"},
            status=JobStatus.DONE,
            result_path="job-1.xlsx",
            result_name="别人的导出.xlsx",
            created_at=now,
            expires_at=utcnow() + timedelta(days=7),
        )
        db.session.add(self.job)
        db.session.commit()


#: How to fill each URL parameter with an object of the other station.
FILLERS: dict[str, Callable[[Other], object]] = {
    "activity_id": lambda other: other.activity.id,
    "token_id": lambda other: other.token.id,
    "checkin_id": lambda other: other.checkin.id,
    "user_id": lambda other: other.user.id,
    "volunteer_id": lambda other: other.volunteer.id,
    "fmt": lambda other: "csv",
    "device_id": lambda other: other.device.id,
    "certificate_id": lambda other: other.certificate.id,
    "correction_id": lambda other: other.correction.id,
    "unit_id": lambda other: other.activity.unit_id,
    "invite_id": lambda other: other.invite.id,
    "job_id": lambda other: other.job.id,
    "team_id": lambda other: other.team.id,
    "member_id": lambda other: other.member.id,
    "join_key": lambda other: other.team.join_key,
    "need_id": lambda other: other.need.id,
    "item_id": lambda other: other.item.id,
    "step": lambda other: "accept",
}


def routes(app):
    """(rule, method) for every non-public route (HEAD/OPTIONS aside)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_for_rule(rule, other: Other) -> str:
    """The rule's URL with every parameter naming the other station's object."""
    missing = [arg for arg in rule.arguments if arg not in FILLERS]
    assert not missing, f"{rule.rule}: add a filler for {missing} in {__file__}"
    return rule.build({arg: FILLERS[arg](other) for arg in rule.arguments})[1]


def test_anonymous_callers_are_refused_everywhere(app, client, make, db):
    other = Other(make, db)
    checked = 0
    for rule, method in routes(app):
        url = url_for_rule(rule, other)
        response = client.open(url, method=method)
        status = response.status_code
        if rule.endpoint.startswith("api."):
            assert status == 401, (method, url, status)
        elif is_volunteer_route(rule) and method == "GET":
            assert status == 302 and "/me/sign-in" in response.headers["Location"], (method, url)
        elif method == "GET":
            assert status == 302 and "/login" in response.headers["Location"], (method, url)
        else:  # CSRF is checked first for form posts; either way nothing happens
            assert status in (302, 400), (method, url, status)
        checked += 1
    assert checked >= 8


def test_organizers_of_another_station_get_404_for_its_objects(app, client, make, db, login_as):
    other = Other(make, db)
    me = login_as(make.user())
    mine, my_raw = create_token(me, "mine", now=utcnow())
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    checked = 0
    for rule, method in routes(app):
        if is_volunteer_route(rule) or not any(arg.endswith("_id") for arg in rule.arguments):
            continue  # nothing of another station's is named in the URL
        url = url_for_rule(rule, other)
        if rule.endpoint.startswith("api."):
            response = client.open(
                url,
                method=method,
                json={"phone": "13812341234", "name": "x"},
                headers={"Authorization": f"Bearer {my_raw}"},
            )
        elif method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked >= 5
    assert mine.revoked_at is None
    db.session.expire_all()
    item = db.session.get(type(other.item), other.item.id)
    assert (item.title, item.withdrawn_at) == ("别的站点的服务", None)


@pytest.mark.parametrize("text", ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>'])
def test_hostile_text_renders_inert_everywhere(app, client, make, db, login_as, text):
    from volunteer_app.checkins import services as checkins
    from volunteer_app.checkins.tokens import issue_token

    activity = make.activity(title=text, place=text, description=text)
    volunteer = make.volunteer(name=text)
    checkins.check_in(activity, volunteer, now=activity.starts_at)
    team = make.team(activity.unit, name=text, host_name=text, contact_name=text, intro=text)
    make.member(team, volunteer, leader=True)
    from volunteer_app.needs.models import ServiceItem

    item = ServiceItem(
        unit_id=activity.unit_id,
        team_id=team.id,
        category_id=activity.category_id,
        title=text[:30],
        description=text,
        remaining=1,
    )
    db.session.add(item)
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    a = activity.id
    pages = [
        "/activities",
        f"/activities/{a}",
        "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key),
        f"/activities/{a}/poster",
        f"/activities/{a}/projector",
        f"/activities/{a}/edit",
        f"/activities/{a}/checkin",
        f"/activities/{a}/live.json",
        "/discover",
        f"/discover/{a}",
        "/reports/",
        f"/reports/?unit={activity.unit_id}",
        "/volunteers",
        f"/volunteers/{volunteer.id}",
        "/teams",
        f"/teams/{team.id}",
        f"/teams/{team.id}/edit",
        f"/teams/{team.id}/card",
        "/needs/menu",
        f"/needs/menu/{item.id}",
        f"/needs/new?station={activity.unit_id}",
        f"/needs/new?station={activity.unit_id}&item={item.id}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        assert text not in html, url
        assert re.search(r"<script>alert|<img src=x", html) is None, url


LEADER_ACTORS = (
    "leader of another team",
    "plain member",
    "former leader",
    "member who left",
    "leader of a disabled team",
    "volunteer of no team",
)


@pytest.mark.parametrize("actor", LEADER_ACTORS)
def test_only_a_leader_of_its_team_reaches_a_team_activity(app, client, make, db, actor):
    """Every leader route (/lead), by each volunteer who is not a leader of the activity's
    team now: 404, and nothing written. The team's leader reaches it."""
    from volunteer_app.teams.models import MemberStatus
    from volunteer_app.volunteers.cards import issue_card

    from .test_races import phone, remembered

    station = make.unit()
    team = make.team(station)
    activity = make.activity(station, team_id=team.id)
    leader = make.volunteer("本队队长")
    make.member(team, leader, leader=True)
    other_team = make.team(station)
    disabled = make.team(station, disabled_at=utcnow())
    them = make.volunteer("试探的人")
    if actor == "leader of another team":
        make.member(other_team, them, leader=True)
    elif actor == "plain member":
        make.member(team, them)
    elif actor == "former leader":  # named once, then unnamed
        make.member(team, them, leader=False)
    elif actor == "member who left":
        make.member(team, them, leader=True, status=MemberStatus.LEFT)
    elif actor == "leader of a disabled team":
        make.member(disabled, them, leader=True)
        activity = make.activity(station, team_id=disabled.id)
    caller = phone(app, remembered(app, db, them))
    own_leader = phone(app, remembered(app, db, leader))
    db.session.commit()

    def walk(client, ticked, code: str) -> list[tuple[str, str, int]]:
        """(method, url, status) of every leader route of the activity, by ``client``,
        checking in ``ticked`` by a tick and the holder of the card ``code`` by a scan."""
        token = csrf_token(client, "/me")
        seen = []
        for rule, method in routes(app):
            if not rule.endpoint.startswith("lead.") or "activity_id" not in rule.arguments:
                continue  # the team's member pages: the test below
            url = rule.build({"activity_id": activity.id})[1]
            data = {"csrf_token": token, "action": "check_in", "code": code}
            data["volunteer_ids"] = [str(ticked.id)]
            response = client.open(url, method=method, data=data if method != "GET" else None)
            seen.append((method, url, response.status_code))
        return seen

    seen = walk(caller, them, issue_card(app.config["SECRET_KEY"], them.card_key))
    assert len(seen) >= 5
    assert [status for _, _, status in seen] == [404] * len(seen), (actor, seen)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    if actor == "leader of a disabled team":
        return  # nobody leads a disabled team's activity
    ticked = make.member(team, make.volunteer("到场的队员")).volunteer
    scanned = make.member(team, make.volunteer("出示卡的队员")).volunteer
    db.session.commit()
    code = issue_card(app.config["SECRET_KEY"], scanned.card_key)
    for method, url, status in walk(own_leader, ticked, code):
        assert status in (200, 302), (method, url, status)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 2


@pytest.mark.parametrize("actor", LEADER_ACTORS)
def test_only_a_leader_of_its_team_reaches_its_member_pages(app, client, make, db, actor):
    """Every leader route of a team (/lead/teams/...), by each volunteer who is not a leader
    of the team now: 404, and nothing written. The team's leader reaches each of them."""
    from volunteer_app.audit.models import AuditEntry
    from volunteer_app.teams.models import MemberStatus, TeamMember
    from volunteer_app.volunteers.cards import issue_card

    from .test_races import phone, remembered

    station = make.unit()
    team = make.team(station)
    leader = make.volunteer("本队队长")
    make.member(team, leader, leader=True)
    asking = make.member(team, make.volunteer("申请的人"), status=MemberStatus.PENDING)
    shown = make.volunteer("出示卡的人")
    them = make.volunteer("试探的人")
    if actor == "leader of another team":
        make.member(make.team(station), them, leader=True)
    elif actor == "plain member":
        make.member(team, them)
    elif actor == "former leader":  # named once, then unnamed
        make.member(team, them, leader=False)
    elif actor == "member who left":
        make.member(team, them, leader=True, status=MemberStatus.LEFT)
    elif actor == "leader of a disabled team":
        team = make.team(station, disabled_at=utcnow())
        make.member(team, them, leader=True)
        asking = make.member(team, make.volunteer("停用队的申请人"), status=MemberStatus.PENDING)
    caller = phone(app, remembered(app, db, them))
    own_leader = phone(app, remembered(app, db, leader))
    db.session.commit()
    token = csrf_token(caller, "/me")
    code = issue_card(app.config["SECRET_KEY"], shown.card_key)
    rules = [
        (rule, method)
        for rule, method in routes(app)
        if rule.endpoint.startswith("lead.") and "team_id" in rule.arguments
    ]
    for rule, method in rules:
        url = rule.build({"team_id": team.id, "member_id": asking.id})[1]
        data = {"csrf_token": token, "code": code} if method != "GET" else None
        response = caller.open(url, method=method, data=data)
        assert response.status_code == 404, (actor, method, url, response.status_code)
    assert len(rules) >= 5
    teams_entries = select(func.count()).select_from(AuditEntry)
    assert db.session.scalar(teams_entries.where(AuditEntry.action.startswith("team."))) == 0
    assert db.session.get(TeamMember, asking.id).status == MemberStatus.PENDING
    if actor == "leader of a disabled team":
        return  # nobody leads a disabled team
    leader_token = csrf_token(own_leader, "/me")
    for rule, method in rules:  # the GET first, then each change once
        url = rule.build({"team_id": team.id, "member_id": asking.id})[1]
        data = {"csrf_token": leader_token, "code": code} if method != "GET" else None
        response = own_leader.open(url, method=method, data=data)
        assert response.status_code in (200, 302), (method, url, response.status_code)


def test_an_organizer_without_a_volunteer_sign_in_does_not_reach_leader_routes(
    app, client, make, db, login_as
):
    """An organizer, even of the activity's own unit, is not a leader: the leader routes
    ask for the volunteer's sign-in, and an organizer of another unit gets no further."""
    station = make.unit()
    team = make.team(station)
    activity = make.activity(station, team_id=team.id)
    login_as(make.user(unit=station))
    token = csrf_token(client, "/activities/new")
    for rule, method in routes(app):
        if not rule.endpoint.startswith("lead."):
            continue
        url = rule.build({"activity_id": activity.id, "team_id": team.id, "member_id": 1})[1]
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, url)
        assert "/me/sign-in" in response.headers["Location"], (method, url)


def test_volunteers_get_404_for_other_volunteers_objects(app, client, make, db):
    """A signed-in volunteer naming another volunteer's device, record or certificate."""
    from .test_identity import PIN, sign_in, with_pin

    other = Other(make, db)
    with_pin(make.volunteer("我", phone="13812341234"))
    db.session.commit()
    assert sign_in(client, "13812341234", PIN).status_code == 302
    token = csrf_token(client, "/me")
    checked = 0
    for rule, method in routes(app):
        ids = [arg for arg in rule.arguments if arg.endswith("_id") and arg != "activity_id"]
        if not is_volunteer_route(rule) or not ids:
            continue
        url = url_for_rule(rule, other)
        data = {"csrf_token": token} if method != "GET" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked >= 3


def test_organizers_of_another_centre_get_404_for_its_deadlines(app, client, make, db, login_as):
    """Every route naming a unit's deadlines (/needs/deadlines/<unit_id>...), by the
    organizer of another centre of the same district: 404, and nothing written; their own
    centre's answer. (The walk above uses a station, whose deadlines nobody sets.)"""
    from volunteer_app.auth.models import Role
    from volunteer_app.needs.models import NeedPolicy
    from volunteer_app.stations.models import UnitLevel

    district = make.unit(level=UnitLevel.DISTRICT)
    theirs = make.unit(level=UnitLevel.CENTRE, parent=district)
    mine = make.unit(level=UnitLevel.CENTRE, parent=district)
    db.session.add(NeedPolicy(unit_id=theirs.id, respond_hours=3, dispatch_hours=3, take_hours=3))
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=mine))
    db.session.commit()
    token = csrf_token(client, "/needs/deadlines")
    data = {"csrf_token": token, "respond_hours": "9", "dispatch_hours": "9", "take_hours": "9"}
    checked = 0
    for rule, method in routes(app):
        if not rule.endpoint.startswith("needs.deadlines_"):
            continue
        for unit, expected in ((theirs, 404), (mine, 200 if method == "GET" else 302)):
            url = rule.build({"unit_id": unit.id})[1]
            response = client.open(url, method=method, data=data if method != "GET" else None)
            assert response.status_code == expected, (method, url, response.status_code)
        checked += 1
    assert checked == 3
    db.session.expire_all()
    row = db.session.get(NeedPolicy, theirs.id)
    assert (row.respond_hours, row.dispatch_hours, row.take_hours) == (3, 3, 3)
    assert theirs.name not in client.get("/needs/deadlines").get_data(as_text=True)


#: The leader routes and the volunteer's team routes: each names a team, its member, an
#: activity it runs or an order dispatched to it, and only that team's leader reaches it.
LEADER_PREFIXES = ("/lead/", "/me/teams/")


@pytest.mark.parametrize("where", ["same station", "another station"])
def test_a_leader_of_another_team_gets_nowhere_on_any_route(app, client, make, db, where):
    """Every route of the walk, by the leader of another team signed in with phone and PIN,
    each id naming an object of the other station's team (its activity, member, order):
    the organizer pages ask for an organizer's sign-in, the API for a token, the leader and
    team pages answer 404 and nothing of the team is written. The leader's own pages and
    the team's public join page stay theirs; the team's own leader reaches what was refused."""
    from volunteer_app.audit.models import AuditEntry
    from volunteer_app.needs.models import Need, NeedStatus
    from volunteer_app.teams.models import TeamMember
    from volunteer_app.volunteers.cards import issue_card

    from .test_identity import PIN, sign_in, with_pin

    other = Other(make, db)
    # the other station's team runs its activity and has an order dispatched to it
    other.activity.team_id = other.team.id
    other.need.team_id = other.team.id
    other.need.status = NeedStatus.DISPATCHED
    other.need.dispatched_at = utcnow()
    other.need.take_by = utcnow() + timedelta(days=1)
    own_leader = with_pin(make.volunteer("本队队长", phone="13900001111"))
    make.member(other.team, own_leader, leader=True)
    unit = other.activity.unit if where == "same station" else make.unit()
    mine = make.team(unit, name="试探的队伍")
    them = with_pin(make.volunteer("别队队长", phone="13812341234"))
    make.member(mine, them, leader=True)
    make.activity(unit, title="我们队的活动", team_id=mine.id)
    db.session.commit()
    assert sign_in(client, "13812341234", PIN).status_code == 302
    token = csrf_token(client, "/me")

    def members() -> list[tuple]:
        rows = select(TeamMember.volunteer_id, TeamMember.status, TeamMember.is_leader)
        return sorted(db.session.execute(rows.where(TeamMember.team_id == other.team.id)))

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    # what a leader's forms would act on: the other team's member, by a tick or their card
    data = {"csrf_token": token, "action": "check_in", "volunteer_ids": [str(other.volunteer.id)]}
    data["code"] = issue_card(app.config["SECRET_KEY"], other.volunteer.card_key)
    before = (members(), count(CheckIn), count(AuditEntry))
    own = []  # the leader's own pages and the public join page, walked last
    refused = 0
    for rule, method in routes(app):
        url = url_for_rule(rule, other)
        leads = rule.rule.startswith(LEADER_PREFIXES)
        if is_volunteer_route(rule) and not leads:
            own.append((rule, method, url))
            continue
        response = client.open(url, method=method, data=data if method != "GET" else None)
        status, where_to = response.status_code, response.headers.get("Location", "")
        if rule.endpoint.startswith("api."):
            assert status == 401, (method, url, status)
        elif leads and rule.arguments:
            assert status == 404, (method, url, status)
        elif leads:  # /lead/needs: the orders of the leader's own teams only
            assert status == 200, (method, url, status)
            assert other.need.title not in response.get_data(as_text=True)
        else:  # an organizer's page: a volunteer's sign-in is no organizer's
            login = status == 302 and where_to.startswith("/login")
            assert login or status in (403, 404), (method, url, status, where_to)
        refused += 1
    assert refused >= 150
    db.session.expire_all()
    assert (members(), count(CheckIn), count(AuditEntry)) == before

    for rule, method, url in own:
        data = {"csrf_token": token} if method != "GET" else None
        response = client.open(url, method=method, data=data)
        status = response.status_code
        ids = [arg for arg in rule.arguments if arg.endswith("_id") and arg != "activity_id"]
        if ids:  # another volunteer's device, record, certificate or person
            assert status == 404, (method, url, status)
        elif method == "GET":  # their own page, with nothing of the other team's
            assert status == 200, (method, url, status)
            html = response.get_data(as_text=True)
            assert other.team.name not in html and "别人的志愿者" not in html, url
        else:  # their own sign-up, card or join request, or the form's own refusal
            assert status in (302, 400, 404), (method, url, status)
    db.session.expire_all()
    joined = [row for row in members() if row not in before[0]]
    assert [row[0] for row in joined] in ([], [them.id])  # asked to join, by the public link
    assert not any(row[2] for row in joined), joined  # and leads nothing there
    assert (
        db.session.scalar(select(func.count()).where(CheckIn.activity_id == other.activity.id)) == 1
    )
    need = db.session.get(Need, other.need.id)
    assert need.status == NeedStatus.DISPATCHED

    # the ids named what the team's own leader reaches
    leader = app.test_client()
    assert sign_in(leader, "13900001111", PIN).status_code == 302
    for rule, method in routes(app):
        if method == "GET" and rule.rule.startswith("/lead/") and rule.arguments:
            url = url_for_rule(rule, other)
            assert leader.get(url).status_code == 200, url
