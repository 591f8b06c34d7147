"""Who is whose, route by route: every organizer route that takes a volunteer by id, phone,
card or name answers another centre's volunteer as it answers no one at all, and writes
nothing (``volunteer_app.auth.scoping``, docs/security.md "Who may see and act for whom").

Two halves, like tests/routes/test_audit_coverage.py:

1. **The inventory** (``test_every_route_taking_a_volunteer_is_listed``) walks the URL map
   and finds every organizer route that takes a volunteer: a ``volunteer_id`` in its URL,
   or a form or request body with a field naming one (``VOLUNTEER_FIELDS``) used by its
   view or a function of its module the view calls. That set must be exactly ``PROBES`` and
   ``NOT_HERE``: a new route taking a volunteer fails until it is probed here.
2. **The walk** (``test_another_centres_volunteer_is_nobody_on_every_route``), as a centre
   organizer and as a station organizer of centre 万福: each probe names a volunteer of
   centre 吕陵 and, beside it, one who does not exist; both answers must be the same (status,
   error code, flashed messages, results listed), neither may show her name or number, and
   no record and no audit entry may be written.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from volunteer_app.activities.models import Signup
from volunteer_app.api.schemas import Strict
from volunteer_app.api.services import create_token
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.codes import new_key
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel
from volunteer_app.volunteers.cards import issue_card

from ..conftest import csrf_token
from .test_scoping_all_routes import PUBLIC, is_volunteer_route

JSON = {"Accept": "application/json"}

#: Fields of a form or request body that name a volunteer (or search for one).
VOLUNTEER_FIELDS = {"volunteer_id", "volunteer_ids", "phone", "card", "code", "q"}

#: Organizer routes taking a volunteer that this walk does not probe, and why.
NOT_HERE = {
    # a registered number is refused there, whoever's, unless its own PIN is typed; a new
    # one registers a newcomer: tests/routes/test_claim_walk_in.py
    "checkins.walk_in": "walk-in registration",
    # renders the scanner (its form), reads no volunteer: the post is probed
    "checkins.scanner": "the scanner's page",
}

# --- the world ------------------------------------------------------------------------------

THEIR_PHONE = "13912345678"
THEIR_NAME = "吕陵的志愿者"
UNKNOWN_PHONE = "13700000000"


@dataclass
class World:
    activity: object  # running now, at 万福一站
    ended: object  # ended, at 万福一站 (hours may be added)
    other: object  # a volunteer of 吕陵: not ours, though an organizer once attached her here
    card: str
    unknown_card: str
    mine: object = None  # a volunteer of 万福一站 (the other side of a merge)


def build(make, db, app) -> tuple[World, dict]:
    """Two centres of a district; the organizers of 万福 and a volunteer of 吕陵 who came to
    吕陵 herself and whom an organizer once checked in at a 万福 activity (which never makes
    her 万福's)."""
    district = make.unit(level=UnitLevel.DISTRICT)
    wanfu = make.unit("万福", level=UnitLevel.CENTRE, parent=district)
    lvling = make.unit("吕陵", level=UnitLevel.CENTRE, parent=district)
    station = make.unit("万福一站", parent=wanfu)
    now = utcnow()
    activity = make.activity(station, title="义诊")
    ended = make.activity(station, title="已结束", starts_at=now - timedelta(hours=5), minutes=180)
    earlier = make.activity(station, title="上周", starts_at=now - timedelta(days=7))
    theirs = make.activity(lvling, title="吕陵的活动", starts_at=now - timedelta(days=3))
    other = make.volunteer(THEIR_NAME, phone=THEIR_PHONE, registered_unit_id=lvling.id)
    db.session.add_all(
        [
            CheckIn(
                activity=theirs, volunteer=other, checked_in_at=theirs.starts_at, self_made=True
            ),
            CheckIn(
                activity=earlier,
                volunteer=other,
                checked_in_at=earlier.starts_at,
                origin=HoursOrigin.ORGANIZER,
                self_made=False,
            ),
        ]
    )
    users = {
        "centre": make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu),
        "station": make.user(unit=station),
    }
    db.session.commit()
    secret = app.config["SECRET_KEY"]
    world = World(
        activity, ended, other, issue_card(secret, other.card_key), issue_card(secret, new_key())
    )
    world.mine = make.volunteer("万福的志愿者", phone="13600000001", registered_unit_id=station.id)
    db.session.commit()
    return world, users


# --- how each route is asked about a volunteer ----------------------------------------------


@dataclass(frozen=True)
class Who:
    """One volunteer as each route names them."""

    id: int
    phone: str
    name: str
    card: str


def _page(client, world) -> str:
    return f"/activities/{world.activity.id}/checkin"


def desk_search(query, *, echoes_name: bool = False):
    def probe(client, world, who):
        url = _page(client, world)
        return client.post(url, data={"csrf_token": csrf_token(client, url), "q": query(who)})

    probe.echoes_name = echoes_name
    return probe


def desk_get(client, world, who):
    return client.get(_page(client, world) + "?q=" + who.name)


def group(action):
    def probe(client, world, who):
        url = _page(client, world)
        data = {"csrf_token": csrf_token(client, url), "action": action, "volunteer_ids": who.id}
        return client.post(url, data=data)

    return probe


def queued_tick(client, world, who):
    url = _page(client, world)
    data = {
        "csrf_token": csrf_token(client, url),
        "action": "check_in",
        "volunteer_ids": who.id,
        "ticked_at": world.activity.starts_at.isoformat(),
    }
    return client.post(url, data=data, headers=JSON)


def scan(queued: bool):
    def probe(client, world, who):
        url = f"/activities/{world.activity.id}/scanner"
        data = {"csrf_token": csrf_token(client, url), "code": who.card}
        if queued:
            data |= {"action": "check_in", "scanned_at": world.activity.starts_at.isoformat()}
        return client.post(url, data=data, headers=JSON)

    return probe


def add_hours(method):
    def probe(client, world, who):
        url = f"/activities/{world.ended.id}/volunteers/{who.id}/add-hours"
        if method == "GET":
            return client.get(url)
        token = csrf_token(client, _page(client, world))
        return client.post(url, data={"csrf_token": token, "hours": "2", "reason": "补录"})

    return probe


def sheet(cells, *, upload: bool = False):
    """A paper sign-in sheet of one line naming the volunteer, typed or uploaded (.csv)."""

    def probe(client, world, who):
        url = f"/activities/{world.ended.id}/sheet"
        token = csrf_token(client, url)
        name, phone = cells(who)
        if upload:
            body = f"姓名,手机号或后4位,时长\n{name},{phone},1\n".encode()
            data = {
                "upload-csrf_token": token,
                "upload-reason": "纸质签到表",
                "upload-file": (io.BytesIO(body), "sheet.csv"),
            }
            return client.post(url + "/upload", data=data, content_type="multipart/form-data")
        data = {"csrf_token": token, "reason": "纸质签到表", "name": name, "phone": phone}
        return client.post(url, data=data | {"hours": "1"})

    probe.echoes_name = True  # the sheet shows the lines as typed
    return probe


def roster(client, world, who):
    return client.get(f"/activities/{world.activity.id}/checkin/roster.json")


def roster_list(query, *, export: str = ""):
    def probe(client, world, who):
        return client.get(f"/volunteers{export}", query_string={"q": query(who)})

    probe.echoes_name = not export
    return probe


def roster_detail(client, world, who):
    return client.get(f"/volunteers/{who.id}")


def roster_edit(client, world, who):
    url = f"/volunteers/{who.id}/edit"
    data = {"csrf_token": csrf_token(client, _page(client, world)), "reason": "登记时写错"}
    return client.post(url, data=data | {"name": "改过的名字", "phone": "13700009999"})


def roster_merge(into_theirs: bool):
    def probe(client, world, who):
        kept, merged = (who.id, world.mine.id) if into_theirs else (world.mine.id, who.id)
        data = {"csrf_token": csrf_token(client, _page(client, world)), "other": merged}
        data |= {"reason": "同一个人", "confirm": "y"}
        return client.post(f"/volunteers/{kept}/merge", data=data)

    return probe


def void_registration(method: str):
    def probe(client, world, who):
        url = f"/volunteers/{who.id}/void"
        if method == "GET":
            return client.get(url)
        data = {"csrf_token": csrf_token(client, _page(client, world)), "reason": "测试登记"}
        return client.post(url, data=data | {"confirm": "y"})

    return probe


def code_lookup(client, world, who):
    url = "/manage/volunteers/code"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "phone": who.phone})


def code_give(client, world, who):
    url = f"/manage/volunteers/{who.id}/code"
    token = csrf_token(client, "/manage/volunteers/code")
    return client.post(url, data={"csrf_token": token, "phone": who.phone})


def api(path, body):
    def probe(client, world, who):
        return client.post(
            f"/api/v1/activities/{world.activity.id}/{path}",
            json=body(who),
            headers={"Authorization": f"Bearer {world.api_token}"},
        )

    return probe


#: Every probed route, with each way it takes a volunteer.
PROBES = {
    "checkins.manual_checkin": [desk_get],
    "checkins.group_checkin": [
        desk_search(lambda who: who.name, echoes_name=True),
        desk_search(lambda who: who.phone),
        desk_search(lambda who: who.phone[-4:]),
        group("check_in"),
        group("check_out"),
        queued_tick,
    ],
    "checkins.scan_card": [scan(queued=False), scan(queued=True)],
    "checkins.add_hours": [add_hours("GET"), add_hours("POST")],
    "checkins.checkin_roster": [roster],
    # a full number is the walk-in desk's case (NOT_HERE): registered to anyone, it gets the
    # one neutral refusal (tests/routes/test_paper_sheet.py)
    "checkins.sheet_preview": [
        sheet(lambda who: (who.name, who.phone[-4:])),
        sheet(lambda who: (who.name, "")),
    ],
    "checkins.sheet_upload": [sheet(lambda who: (who.name, who.phone[-4:]), upload=True)],
    "volunteers.roster": [
        roster_list(lambda who: who.name),
        roster_list(lambda who: who.phone),
        roster_list(lambda who: who.phone[-4:]),
    ],
    "volunteers.roster_export": [
        roster_list(lambda who: who.name, export=".csv"),
        roster_list(lambda who: who.phone[-4:], export=".csv"),
    ],
    "volunteers.roster_detail": [roster_detail],
    "volunteers.setup_code": [code_lookup],
    "volunteers.give_code": [code_give],
    "volunteers.roster_edit": [roster_edit],
    "volunteers.roster_merge": [roster_merge(into_theirs=False), roster_merge(into_theirs=True)],
    "checkins.void_registration": [void_registration("GET"), void_registration("POST")],
    "api.create_checkin": [
        api("checkins", lambda who: {"card": who.card}),
        api("checkins", lambda who: {"phone": who.phone}),
        api("checkins", lambda who: {"phone": who.phone, "name": who.name}),
    ],
    "api.create_checkout": [
        api("checkouts", lambda who: {"card": who.card}),
        api("checkouts", lambda who: {"phone": who.phone}),
    ],
}


# --- 1. the inventory -------------------------------------------------------------------------


def _input_classes() -> set[str]:
    """Names of the forms and request bodies with a field that names a volunteer."""
    found = set()
    for cls in _subclasses(FlaskForm) | _subclasses(Strict):
        if not cls.__module__.startswith("volunteer_app."):
            continue
        fields = set(getattr(cls, "model_fields", {})) or {
            name for name in dir(cls) if type(getattr(cls, name, None)).__name__ == "UnboundField"
        }
        if fields & VOLUNTEER_FIELDS:
            found.add(cls.__name__)
    return found


def _subclasses(cls) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _subclasses(sub)
    return out


def _names_used(view) -> set[str]:
    """Names used by the view and by the functions of its module it calls, transitively."""
    view = inspect.unwrap(view)
    module = inspect.getmodule(view)
    tree = ast.parse(inspect.getsource(module))
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    seen, todo, names = set(), [view.__name__], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Name):
                names.add(node.id)
                todo.append(node.id)
    return names


def organizer_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or is_volunteer_route(rule) or rule.endpoint == "static":
            continue
        yield rule


def test_every_route_taking_a_volunteer_is_listed(app):
    inputs = _input_classes()
    assert {"VolunteerSearchForm", "GroupCheckForm", "CardCodeForm", "VolunteerRef"} <= inputs
    taking = set()
    for rule in organizer_routes(app):
        used = _names_used(app.view_functions[rule.endpoint])
        if "volunteer_id" in rule.arguments or used & inputs:
            taking.add(rule.endpoint)
    listed = set(PROBES) | set(NOT_HERE)
    assert taking - listed == set(), "probe these routes in PROBES (or say why not in NOT_HERE)"
    # the roster takes no volunteer but lists them, the paper sheet takes lines of names and
    # numbers (not a form's field): probed although the inventory cannot see them
    assert listed - taking == {
        "checkins.checkin_roster",
        "checkins.sheet_preview",
        "checkins.sheet_upload",
    }


# --- 2. the walk ------------------------------------------------------------------------------


def _flashes(client, response) -> list[str]:
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', page)


def answer(client, response) -> tuple:
    """What a response tells the organizer, without what differs by request (CSRF tokens)."""
    if response.status_code in (301, 302, 303):
        return (response.status_code, tuple(_flashes(client, response)))
    if response.is_json:
        body = response.get_json()
        if "volunteers" in body:  # the roster
            return (response.status_code, len(body["volunteers"]))
        error = body.get("error") or {}
        return (response.status_code, body.get("code") or error.get("code"))
    html = response.get_data(as_text=True)
    sheet_lines = tuple(re.findall(r'class="list-item (\w+)" data-line="\d+"', html))
    return (response.status_code, len(re.findall(r'id="pick-\d+"', html)), sheet_lines)


def counts(db) -> tuple[int, int]:
    db.session.commit()
    return (
        db.session.scalar(select(func.count()).select_from(CheckIn)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


@pytest.mark.parametrize("role", ["centre", "station"])
def test_another_centres_volunteer_is_nobody_on_every_route(app, client, make, db, login_as, role):
    world, users = build(make, db, app)
    user = login_as(users[role])
    _, world.api_token = create_token(user, "walk", now=utcnow())
    db.session.commit()
    other = world.other
    them = Who(other.id, THEIR_PHONE, THEIR_NAME, world.card)
    nobody = Who(2_000_000_000, UNKNOWN_PHONE, "查无此人", world.unknown_card)
    before = counts(db)
    walked = 0
    for endpoint, probes in PROBES.items():
        for probe in probes:
            theirs = probe(client, world, them)
            body = theirs.get_data(as_text=True)
            assert answer(client, theirs) == answer(client, probe(client, world, nobody)), (
                endpoint,
                probe,
            )
            assert THEIR_PHONE[:3] + "****" + THEIR_PHONE[-4:] not in body, endpoint
            assert f'id="pick-{other.id}"' not in body, endpoint
            assert f'href="/volunteers/{other.id}"' not in body, endpoint
            if not getattr(probe, "echoes_name", False):  # the search box shows what was typed
                assert THEIR_NAME not in body, (endpoint, probe)
            walked += 1
    assert counts(db) == before  # no record, no audit entry
    assert walked == sum(len(p) for p in PROBES.values())


# --- what stays possible ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["centre", "station"])
def test_our_volunteers_are_found_checked_in_and_scanned(app, client, make, db, login_as, role):
    world, users = build(make, db, app)
    ours = make.volunteer(
        "万福的志愿者", phone="13612345678", registered_unit_id=world.activity.unit_id
    )
    came = make.volunteer("自己报名的人", phone="13512345678")
    db.session.add(Signup(activity_id=world.activity.id, volunteer_id=came.id, created_at=utcnow()))
    db.session.commit()
    login_as(users[role])
    found = desk_search(lambda who: who.phone[-4:])(client, world, Who(ours.id, "5678", "", ""))
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "136****5678" in html and "135****5678" in html
    assert "139****5678" not in html  # the other centre's number with the same last 4
    assert f'id="pick-{ours.id}"' in html and f'id="pick-{came.id}"' in html
    response = group("check_in")(client, world, Who(came.id, "", "", ""))
    assert _flashes(client, response) == ["已代签到 1 人：自己报名的人"]
    card = issue_card(app.config["SECRET_KEY"], ours.card_key)
    response = scan(queued=False)(client, world, Who(ours.id, "", "", card))
    assert response.status_code == 200 and response.json["action"] == "check_in"
    entries = {e["name"] for e in roster(client, world, None).get_json()["volunteers"]}
    assert entries == {"万福的志愿者", "自己报名的人"}


def test_a_station_organizer_does_not_reach_a_sibling_station(app, client, make, db, login_as):
    """The centre organizer reaches both of its stations' volunteers; a station organizer
    only their own station's."""
    world, users = build(make, db, app)
    sibling = make.unit("万福二站", parent=world.activity.unit.parent)
    neighbour = make.volunteer("二站的志愿者", registered_unit_id=sibling.id)
    db.session.commit()
    who = Who(neighbour.id, neighbour.phone, neighbour.name, "")
    login_as(users["station"])
    assert answer(client, desk_search(lambda w: w.name)(client, world, who)) == (200, 0, ())
    assert answer(client, add_hours("GET")(client, world, who))[0] == 404
    centre = app.test_client()
    _sign_in(centre, users["centre"])
    assert answer(centre, desk_search(lambda w: w.name)(centre, world, who)) == (200, 1, ())
    assert add_hours("GET")(centre, world, who).status_code == 200


@pytest.mark.parametrize("role", ["centre", "station"])
def test_a_record_at_our_activity_stays_ours_to_close(app, client, make, db, login_as, role):
    """Someone with a record at the organizer's own activity (checked in before, by anyone)
    may be checked out there, by tick, card or queued tick: the record is the activity's."""
    world, users = build(make, db, app)
    db.session.add(
        CheckIn(
            activity=world.activity,
            volunteer=world.other,
            checked_in_at=world.activity.starts_at,
            origin=HoursOrigin.ORGANIZER,
            self_made=False,
        )
    )
    db.session.commit()
    login_as(users[role])
    them = Who(world.other.id, THEIR_PHONE, THEIR_NAME, world.card)
    response = group("check_out")(client, world, them)
    assert _flashes(client, response) == [f"已代签退 1 人：{THEIR_NAME}"]
    response = scan(queued=False)(client, world, them)  # checked out already: told so
    assert response.status_code == 409 and response.json["code"] == "already_checked_out"
    record = db.session.scalar(select(CheckIn).where(CheckIn.activity_id == world.activity.id))
    assert record.checked_out_at is not None and record.recorded_by_id == users[role].id


# --- the search's limit -----------------------------------------------------------------------


@pytest.fixture
def limited(app):
    """The same database served by an app with the search limited to 2 a minute."""
    from volunteer_app import create_app
    from volunteer_app.extensions import limiter

    from ..conftest import FreshContextClient

    limited_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "VOLUNTEER_SEARCH_RATE_LIMIT": "2 per minute",
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with limited_app.app_context():
        limiter.reset()
    limited_app.test_client_class = FreshContextClient
    yield limited_app
    with limited_app.app_context():
        limiter.reset()
        from volunteer_app.extensions import db as _db

        _db.engine.dispose()


def _sign_in(client, user):
    from ..factories import Factory

    token = csrf_token(client, "/login")
    data = {"username": user.username, "password": Factory.PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302


def test_searches_are_limited_per_organizer_account(app, make, db, limited):
    world, users = build(make, db, app)
    first, second = limited.test_client(), limited.test_client()
    _sign_in(first, users["station"])
    _sign_in(second, users["centre"])
    who = Who(0, "", "张", "")
    statuses = [desk_search(lambda w: w.name)(first, world, who).status_code for _ in range(2)]
    assert statuses == [200, 200]
    refused = desk_search(lambda w: w.name)(first, world, who)
    assert refused.status_code == 429
    assert "搜索次数过多，请等一分钟后再搜索。" in refused.get_data(as_text=True)
    # ticks and check-ins are not searches; another account has its own count
    assert first.get(_page(first, world)).status_code == 200
    assert group("check_in")(first, world, Who(2_000_000_000, "", "", "")).status_code == 302
    assert desk_search(lambda w: w.name)(second, world, who).status_code == 200


def test_the_search_form_posts_and_no_page_links_a_query(client, make, db, login_as, app):
    """The number typed never goes into a URL (nor into an access log)."""
    world, users = build(make, db, app)
    login_as(users["station"])
    html = client.get(_page(client, world)).get_data(as_text=True)
    form = re.search(r'<form [^>]*id="checkin-search"[^>]*>', html).group(0)
    assert 'method="post"' in form
    searched = desk_search(lambda w: w.phone)(client, world, Who(0, THEIR_PHONE, "", ""))
    page = searched.get_data(as_text=True)
    assert "?q=" not in page and "q=139" not in page


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "%",
        "_",
        "\\",
        "名" * 200,
        "1" * 60,
        "+86 139 1234 5678",
        "１２３４",
        "0000",
        "12a34",
    ],
)
def test_odd_searches_are_a_page_or_a_clear_400_never_a_500(app, client, make, db, login_as, query):
    world, users = build(make, db, app)
    login_as(users["station"])
    response = desk_search(lambda w: w.name)(client, world, Who(0, "", query, ""))
    assert response.status_code in (200, 400), response.status_code
    assert THEIR_NAME not in response.get_data(as_text=True)
