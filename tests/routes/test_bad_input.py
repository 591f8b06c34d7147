"""Property-based bad input over the forms and API bodies: a 4xx with a message or a clean
success, never a 500, and nothing half-stored."""

from __future__ import annotations

import functools
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from volunteer_app.activities.models import Activity
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.volunteers.models import Device, Volunteer

from ..conftest import csrf_token

SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PAYLOADS = [
    "",
    " ",
    "'; DROP TABLE activities; --",
    "<script>alert(1)</script>",
    "\x00",
    "\u202e",
    "😀🎉",
    "名" * 10_000,
    "1" * 10_000,
    "Robert'); --",
    "%s%s%n",
    "../../etc/passwd",
]
texts = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=300))


def mostly(valid: str, fuzz):
    """Usually the valid value, so that one bad field at a time meets otherwise good ones."""
    return st.one_of(st.just(valid), st.just(valid), fuzz)


datetimes = st.one_of(
    st.sampled_from(
        [
            "",
            "2021-03-05T08:30",
            "2021-02-30T08:00",
            "0001-01-01T00:00",
            "9999-12-31T23:59",
            "2021-03-05",
            "yesterday",
            "2021-03-05T25:61",
        ]
    ),
    st.text(max_size=30),
)
numbers = st.one_of(
    st.sampled_from(["", "0", "-1", "10001", "1e9", "abc", "9" * 40]), st.integers().map(str)
)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_activity_form_never_breaks(client, db, make, login_as):
    user = login_as(make.user())
    category = make.category()
    db.session.commit()
    token = csrf_token(client, "/activities/new")

    @SETTINGS
    @given(
        title=mostly("学雷锋义诊", texts),
        place=mostly("万福社区", texts),
        description=mostly("", texts),
        starts=mostly("2030-03-05T08:30", datetimes),
        ends=mostly("2030-03-05T11:30", datetimes),
        capacity=mostly("10", numbers),
    )
    def run(title, place, description, starts, ends, capacity):
        before = count(db, Activity)
        response = client.post(
            "/activities/new",
            data={
                "csrf_token": token,
                "title": title,
                "place": place,
                "description": description,
                "starts_at": starts,
                "ends_at": ends,
                "capacity": capacity,
                "category_id": str(category.id),
                "unit_id": str(user.unit_id),
            },
        )
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            assert count(db, Activity) == before
            html = response.get_data(as_text=True)
            # an inline field message, a form-level alert, or the error page's explanation
            assert any(mark in html for mark in ('class="error"', 'class="alert', 'class="lead"'))

    run()


def test_checkin_form_never_breaks(app, client, db, make):
    activity = make.activity()
    db.session.commit()
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)

    @SETTINGS
    @given(
        name=mostly("李秀英", texts),
        phone=st.one_of(texts, st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)),
        consent=mostly("y", st.sampled_from(["", "n", "on"])),
        pin=mostly("2580", st.one_of(texts, st.from_regex(r"[0-9]{3,7}", fullmatch=True))),
        action=st.sampled_from(["check_in", "check_out", "", "delete", "签到"]),
    )
    def run(name, phone, consent, pin, action):
        fresh = app.test_client()
        token = csrf_token(fresh, path)
        before = (count(db, Volunteer), count(db, Device), count(db, CheckIn))
        response = fresh.post(
            path,
            data={
                "csrf_token": token,
                "name": name,
                "phone": phone,
                "consent": consent,
                "pin": pin,
                "action": action,
            },
        )
        # 401: a known number with a wrong PIN; 429: that number is locked for a while
        assert response.status_code in (200, 400, 401, 409, 429), response.status_code
        if response.status_code != 200:
            assert (count(db, Volunteer), count(db, Device), count(db, CheckIn)) == before

    run()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)


def test_api_bodies_never_break(client, db, make):
    from volunteer_app.api.services import create_token
    from volunteer_app.database import utcnow

    activity = make.activity()
    _, raw = create_token(make.user(unit=activity.unit), "fuzz", now=utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}

    @SETTINGS
    @given(
        body=st.one_of(
            json_values.map(json.dumps),
            st.fixed_dictionaries(
                {}, optional={"phone": json_values, "name": json_values, "card": json_values}
            ).map(json.dumps),
            texts,
        ),
        endpoint=st.sampled_from(["checkins", "checkouts"]),
    )
    def run(body, endpoint):
        before = (count(db, Volunteer), count(db, CheckIn))
        response = client.post(
            f"/api/v1/activities/{activity.id}/{endpoint}", data=body, headers=headers
        )
        assert response.status_code in (200, 201, 400, 404, 409, 422), response.status_code
        assert response.is_json
        if response.status_code >= 400:
            assert "error" in response.json
            assert (count(db, Volunteer), count(db, CheckIn)) == before

    run()


def test_control_characters_are_refused_at_the_edge(app, client, db, make, login_as):
    from volunteer_app.api.services import create_token
    from volunteer_app.database import utcnow

    user = login_as(make.user())
    _, raw = create_token(user, "t", now=utcnow())
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    page = client.post("/activities/new", data={"csrf_token": token, "title": "a\x00b"})
    assert page.status_code == 400 and "不允许的字符" in page.get_data(as_text=True)
    api = client.post(
        "/api/v1/activities/1/checkins",
        data='{"phone": "\\u0000"}',
        headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
    )
    assert api.status_code == 400 and api.json["error"]["code"] == "control_characters"
    lone = client.post(
        "/api/v1/activities/1/checkins",
        data='{"name": "\\ud800"}',
        headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
    )
    assert lone.status_code == 400
    assert client.get("/activities?x=%00").status_code == 400
    # ordinary multi-line text is fine
    ok = client.post(
        "/activities/new", data={"csrf_token": token, "description": "第一行\r\n第二行\t"}
    )
    assert ok.status_code == 400 and "不允许的字符" not in ok.get_data(as_text=True)


HUGE_IDS = [str(2**31), str(2**63), str(2**64), "9" * 40, "١٢", "２", "²", "0"]


def test_ids_no_table_can_hold_are_not_found_before_any_query(app, client, db, make, login_as):
    from volunteer_app.api.services import create_token
    from volunteer_app.database import utcnow

    user = login_as(make.user())
    _, raw = create_token(user, "t", now=utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    for value in HUGE_IDS:
        assert client.get(f"/activities/{value}").status_code == 404, value
        assert client.get(f"/discover/{value}").status_code == 404, value
        api = client.get(f"/api/v1/activities/{value}", headers=headers)
        assert api.status_code == 404 and api.json["error"]["code"] == "http_404", value


def test_numbers_and_dates_out_of_range_are_a_400_in_the_users_language(
    app, client, db, make, login_as
):
    user = login_as(make.user())
    db.session.commit()
    refused = {
        f"/reports/?unit={value}": "请选择您管理的单位" for value in HUGE_IDS if value != "0"
    } | {
        "/reports/?period=year&year=²": "2000 到 2100",
        "/reports/?period=leifeng&year=１２": "2000 到 2100",
        "/reports/?period=month&month=²-03": "有效月份",
        "/reports/?period=month&month=2025-²": "有效月份",
        "/reports/?period=day&date=0001-01-01": "有效日期",
        "/reports/?period=day&date=9999-12-31": "有效日期",
        "/reports/?period=range&start=2025-01-01&end=9999-12-31": "有效日期",
    }
    for url, message in refused.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.get_data(as_text=True), url
    token = csrf_token(client, "/activities/new")
    for starts, ends in (("0001-01-01T08:00", "0001-01-01T09:00"), ("9999-12-31T08:00", "")):
        before = count(db, Activity)
        response = client.post(
            "/activities/new",
            data={
                "csrf_token": token,
                "title": "年份不对",
                "place": "万福社区",
                "starts_at": starts,
                "ends_at": ends or "9999-12-31T09:00",
                "category_id": str(make.category().id),
                "unit_id": str(user.unit_id),
            },
        )
        assert response.status_code == 400
        assert "请填写 2000 年到 2100 年之间的日期" in response.get_data(as_text=True)
        assert count(db, Activity) == before


def test_a_certificate_period_in_year_1_or_9999_is_refused(app, client, db, make):
    from .test_identity import PIN, sign_in, with_pin

    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    token = csrf_token(client, "/me/certificates")
    for start, end in (("0001-01-01", "2026-01-31"), ("2026-01-01", "9999-12-31")):
        response = client.post(
            "/me/certificates", data={"csrf_token": token, "start": start, "end": end}
        )
        assert response.status_code == 400
        assert "请填写 2000 年到 2100 年之间的日期" in response.get_data(as_text=True)


def test_a_next_with_line_breaks_or_control_characters_is_not_followed(app, client, make):
    from ..factories import Factory

    user = make.user()
    make.db.session.commit()
    for target in ("/activities%0d%0aSet-Cookie:%20x=1", "/activities%0a", "/activities%09x"):
        token = csrf_token(client, "/login")
        response = client.post(
            f"/login?next={target}",
            data={"username": user.username, "password": Factory.PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/activities", target
        assert "Set-Cookie: x" not in str(response.headers)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/activities")})


# --- Every route of the URL map, every parameter, generated values --------------------------

#: Values that broke, or could break, a parser somewhere: numbers no table holds, digits of
#: other scripts, years no time zone converts, header-splitting line breaks, huge texts.
EDGE_VALUES = [
    "",
    "0",
    "-1",
    "1.5",
    "1e3",
    str(2**31 - 1),
    str(2**31),
    str(2**63),
    str(2**64),
    "9" * 40,
    "²",
    "١٢",
    "１２",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-10:00",
    "2021-02-30",
    "2025-²",
    "a\r\nSet-Cookie: x=1",
    "\r\n",
    "/\\evil.example",
    "x" * 5000,
    "名" * 3000,
    "😀🎉",
    "%",
    "../..",
    "null",
    "true",
    "13812341234",
    "1" * 11,
]
edge_texts = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.integers().map(str),
    # no control characters here: the edge refuses them for the whole request (tested
    # above), which would hide what the other fields do
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=40),
)

#: Query parameters the views read (request.args and the GET forms).
QUERY_FIELDS = sorted(
    {
        "page",
        "per_page",
        "station_id",
        "status",
        "date_from",
        "date_to",
        "unit",
        "period",
        "date",
        "month",
        "year",
        "start",
        "end",
        "station",
        "category",
        "size",
        "next",
        "q",
        "code",
        "lang",
        "text",
        "item",
    }
)


@functools.cache
def form_fields() -> list[str]:
    """Every field name of every form class of the app (imported by create_app)."""
    from flask_wtf import FlaskForm

    names, stack = set(), [FlaskForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        names.update(
            name
            for name in dir(cls)
            if not name.startswith("_") and hasattr(getattr(cls, name), "field_class")
        )
    return sorted(names - {"csrf_token", "meta"})


@functools.cache
def json_fields() -> list[str]:
    """Every field of every request body schema of the API."""
    from volunteer_app.api import schemas

    return sorted(
        {
            name
            for model in vars(schemas).values()
            if isinstance(model, type)
            and issubclass(model, schemas.Strict)
            and model is not schemas.Strict
            for name in model.model_fields
        }
    )


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([2**31, 2**63, 2**64, -1, 0, 10**40, 1.5, 1e308]),
    st.integers(),
    edge_texts,
)


class World:
    """An activity of a station with a record, a volunteer with a device, a certificate, a
    correction, an API token, and a district admin who may reach all of it."""

    def __init__(self, app, make, db):
        from volunteer_app.auth.models import Role
        from volunteer_app.checkins import services as checkins
        from volunteer_app.checkins.keys import issue_kiosk_token
        from volunteer_app.checkins.models import Correction
        from volunteer_app.database import utcnow
        from volunteer_app.volunteers.certificates import sign_code
        from volunteer_app.volunteers.models import Certificate
        from volunteer_app.volunteers.session import device_signer

        from ..factories import Factory
        from .test_races import remembered

        secret = app.config["SECRET_KEY"]
        self.activity = make.activity(title="学雷锋义诊")
        district = self.activity.unit.parent.parent
        self.user = make.user(role=Role.DISTRICT_ADMIN, unit=district)
        self.password = Factory.PASSWORD
        self.volunteer = make.volunteer("李秀英", phone="13812341234")
        now = self.activity.starts_at
        self.checkin = checkins.check_in(self.activity, self.volunteer, now=now)
        db.session.flush()
        self.device_cookie = remembered(app, db, self.volunteer)
        with app.test_request_context():
            key = device_signer().unsign(self.device_cookie).decode("ascii")
        self.device = db.session.scalar(select(Device).filter_by(key=key))
        self.certificate = Certificate(
            number="ZYZ-FUZZ-1",
            volunteer_id=self.volunteer.id,
            holder_name="李秀英",
            period_start=now.date(),
            period_end=now.date(),
            minutes=60,
            issuers="站点",
            lines=[],
            issued_at=now,
        )
        self.correction = Correction(
            checkin_id=self.checkin.id, volunteer_id=self.volunteer.id, reason="忘记签退"
        )
        self.correction.created_at = now
        db.session.add_all([self.certificate, self.correction])
        from volunteer_app.api.services import create_token

        self.token, self.raw_token = create_token(self.user, "fuzz", now=utcnow())
        self.team = make.team(self.activity.unit, name="医护志愿服务队")
        self.member = make.member(self.team, self.volunteer)
        from volunteer_app.needs.models import ServiceItem

        self.item = ServiceItem(
            unit_id=self.activity.unit_id,
            team_id=self.team.id,
            category_id=self.activity.category_id,
            title="上门测血压",
            remaining=2,
        )
        db.session.add(self.item)
        db.session.commit()
        self.valid = {
            "activity_id": self.activity.id,
            "checkin_id": self.checkin.id,
            "volunteer_id": self.volunteer.id,
            "user_id": self.user.id,
            "token_id": self.token.id,
            "device_id": self.device.id,
            "certificate_id": self.certificate.id,
            "correction_id": self.correction.id,
            "team_id": self.team.id,
            "member_id": self.member.id,
            "item_id": self.item.id,
            "join_key": self.team.join_key,
            "token": issue_token(secret, self.activity.checkin_key),
            "code": sign_code(secret, self.certificate.id),
            "fmt": "csv",
            "version": "x",
            "filename": "css/app.css",
        }
        self.valid = {name: str(value) for name, value in self.valid.items()}
        #: The deadlines pages take a centre (or the district): the activity's centre.
        self.centre_id = str(self.activity.unit.parent_id)
        self.kiosk = issue_kiosk_token(secret, self.activity.kiosk_key)

    def own(self, rule) -> dict[str, str]:
        """The world's own value for each URL parameter of ``rule`` (a kiosk link's token is
        the kiosk token, not the check-in code)."""
        values = {arg: self.valid.get(arg, "x") for arg in rule.arguments}
        if rule.rule.startswith("/k/"):
            values["token"] = self.kiosk
        if rule.endpoint.startswith("needs.deadlines_"):
            values["unit_id"] = self.centre_id
        return values

    def path_values(self, rule, name: str):
        """Generated values for one URL parameter: the world's own, or edge values."""
        own = st.just(self.own(rule)[name])
        return st.one_of(own, own, edge_texts)


def url_of(rule, values: dict[str, str]) -> str:
    """The rule's path with each parameter replaced by its (quoted) value."""
    from urllib.parse import quote

    path = rule.rule
    for part in re.findall(r"<(?:[^:>]+:)?([^>]+)>", path):
        path = re.sub(r"<(?:[^:>]+:)?" + re.escape(part) + ">", quote(values[part], safe=""), path)
    return path


def converters(rule) -> dict[str, str]:
    """Each URL parameter of ``rule`` and the name of its converter's class."""
    return {arg: type(conv).__name__ for arg, conv in rule._converters.items()}


def walk_routes(app):
    """(rule, method) for every route of the URL map (HEAD and OPTIONS aside)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


WALK_SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_ROUTE_EXAMPLES", "10")),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def identity_client(app, world: World, who: str):
    """A client that is anonymous, the signed-in organizer, or the volunteer's phone; and
    the headers its API calls carry."""
    client = app.test_client()
    headers = {}
    if who == "organizer":
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            data={"username": world.user.username, "password": world.password, "csrf_token": token},
        )
        assert response.status_code == 302
        headers["Authorization"] = f"Bearer {world.raw_token}"
    elif who == "volunteer":
        client.set_cookie(app.config["DEVICE_COOKIE_NAME"], world.device_cookie)
    return client, headers


class Caller:
    """One identity's client on one route: sends a request, checks it is below 500."""

    def __init__(self, client, headers: dict, token: str, rule, method: str, who: str):
        self.client, self.headers, self.token = client, headers, token
        self.rule, self.method, self.who = rule, method, who
        self.api_post = rule.endpoint.startswith("api.") and method == "POST"

    def send(self, path: dict, query: dict, form: dict, body: dict):
        """The request, asserted below 500; the response."""
        url = url_of(self.rule, path)
        request = {"method": self.method, "query_string": query, "headers": self.headers}
        if self.api_post:
            request["json"] = body
        elif self.method == "POST":
            request["data"] = {"csrf_token": self.token, **form}
        response = self.client.open(url, **request)
        assert response.status_code < 500, (self.who, self.method, url, query, form, body)
        return response

    def reaches_the_view(self, world: World) -> bool:
        """Whether this identity gets past sign-in on this route (else there is nothing
        behind it for the values to reach)."""
        response = self.send(world.own(self.rule), {}, {}, {})
        location = response.headers.get("Location", "")
        return response.status_code != 401 and not (
            response.status_code == 302 and ("/login" in location or "/me/sign-in" in location)
        )


def sweep(caller: Caller, world: World) -> None:
    """Each edge value in every URL parameter in turn, then in every query, form and JSON
    field at once (the other parameters the world's own)."""
    forms, bodies = form_fields(), json_fields()
    # ids are the converter's (tests/unit/test_params.py); the hypothesis mixes cover them too
    texts = [arg for arg, kind in converters(caller.rule).items() if kind != "IdConverter"]
    for value in EDGE_VALUES:
        for arg in texts:
            caller.send({**world.own(caller.rule), arg: value}, {}, {}, {})
        caller.send(
            world.own(caller.rule),
            dict.fromkeys(QUERY_FIELDS, value),
            dict.fromkeys(forms, value),
            dict.fromkeys(bodies, value),
        )


def fuzz(caller: Caller, world: World) -> None:
    """Hypothesis: mixes of generated values in the URL parameters and in a few of the
    query, form and JSON fields."""
    forms, bodies = form_fields(), json_fields()
    rule = caller.rule

    @WALK_SETTINGS
    @given(
        path=st.fixed_dictionaries({arg: world.path_values(rule, arg) for arg in rule.arguments}),
        query=st.dictionaries(st.sampled_from(QUERY_FIELDS), edge_texts, max_size=4),
        form=st.dictionaries(st.sampled_from(forms), edge_texts, max_size=6),
        body=st.dictionaries(st.sampled_from(bodies), json_scalars, max_size=4),
    )
    def run(path, query, form, body):
        caller.send(path, query, form, body)

    run()


@pytest.mark.parametrize("who", ["anonymous", "organizer", "volunteer"])
def test_no_route_answers_500_to_any_parameter(app, db, make, who):
    """Every route of the URL map, as an anonymous caller, the signed-in organizer and the
    volunteer's phone: each edge value (huge, negative and non-ASCII digits, years 1 and
    9999, line breaks, long texts, emoji, empty) in each URL parameter and in every known
    query, form and JSON field, then generated mixes (hypothesis): never a 500."""
    world = World(app, make, db)
    app.logger.disabled = True  # a failure shows its example; the traceback is noise
    checked = swept = 0
    for rule, method in walk_routes(app):
        if rule.endpoint == "static":
            continue
        client, headers = identity_client(app, world, who)
        token = csrf_token(client, "/login" if who != "organizer" else "/activities/new")
        caller = Caller(client, headers, token, rule, method, who)
        if caller.reaches_the_view(world):
            sweep(caller, world)
            swept += 1
        fuzz(caller, world)
        checked += 1
    assert checked >= 80 and swept >= {"anonymous": 15, "organizer": 60, "volunteer": 25}[who]
