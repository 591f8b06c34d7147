"""Property-based bad input over the forms and API bodies: a 4xx with a message or a clean
success, never a 500, and nothing half-stored."""

from __future__ import annotations

import json
import os

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
