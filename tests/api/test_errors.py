"""Every API error, on every route, is JSON with a 4xx, a stable code and a translated message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from volunteer_app.api.bodies import too_deep
from volunteer_app.api.openapi import api_routes
from volunteer_app.checkins import services
from volunteer_app.database import utcnow

from .test_api import error_code


@pytest.fixture
def urls(app, db, make, api):
    """Every API (method, URL) with real ids of the caller's station, except the document."""
    start = (utcnow() - timedelta(hours=4)).replace(microsecond=0)
    ended = make.activity(unit=api.activity.unit, starts_at=start, minutes=180)
    record = services.check_in(ended, make.volunteer(), now=start)
    db.session.commit()
    team = make.team(api.activity.unit)
    need = make.need(api.activity.unit)
    db.session.commit()
    ids = {"activity_id": ended.id, "checkin_id": record.id, "team_id": team.id}
    ids["need_id"] = need.id
    out = []
    for method, path in sorted(api_routes(app.url_map)):
        if path.endswith("openapi.json"):
            continue
        out.append((method.upper(), path.format(**ids)))
    assert len(out) >= 9
    return out


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_json_error(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data()[:200])
    assert response.is_json
    error = response.json["error"]
    assert error["code"] and error["message"]
    return error


def test_without_credentials_every_route_says_why_in_the_callers_language(client, urls):
    for method, url in urls:
        chinese = client.open(url, method=method, json={})
        english = client.open(url, method=method, json={}, headers={"Accept-Language": "en"})
        zh, en = assert_json_error(chinese, 401, 422), assert_json_error(english, 401, 422)
        assert zh["code"] == en["code"] and zh["message"] != en["message"], url
        assert has_chinese(zh["message"]) and not has_chinese(en["message"]), (url, zh, en)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ("{oops", 400, "invalid_json"),
        ("[" * 5000, 400, "invalid_json"),
        ('{"a":' * 500 + "1" + "}" * 500, 400, "invalid_json"),
        ("x" * (2 * 1024 * 1024), 413, "http_413"),
    ],
)
def test_malformed_deep_and_huge_bodies_are_4xx_on_every_post(
    client, api, urls, data, status, code
):
    headers = {**api.headers, "Content-Type": "application/json"}
    posts = [url for method, url in urls if method == "POST"]
    assert len(posts) >= 6
    for url in posts:
        response = client.post(url, data=data, headers=headers)
        assert assert_json_error(response, status)["code"] == code, url


def test_unknown_paths_and_methods_are_json(client, api, urls):
    for method, url in urls:
        wrong = "DELETE" if method != "DELETE" else "PUT"
        response = client.open(url, method=wrong, headers=api.headers)
        assert assert_json_error(response, 405)["code"] == "http_405"
    missing = client.get("/api/v1/activities/1/nothing-here", headers=api.headers)
    assert assert_json_error(missing, 404)["code"] == "http_404"


def test_invalid_body_names_the_fields_in_the_callers_language(client, api, urls):
    record_url = next(url for _method, url in urls if re.search(r"/hours/[0-9]+$", url))
    response = client.post(
        record_url,
        json={"hours": "2", "reason": "x", "extra": 1},
        headers={**api.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422 and error_code(response) == "invalid_body"
    assert response.json["error"]["message"].endswith("Check: extra, hours")
    chinese = client.post(record_url, json={"hours": "2", "reason": "x"}, headers=api.headers)
    assert chinese.json["error"]["message"] == "请求内容无效，请检查：hours"


def test_too_deep_is_iterative_and_exact():
    assert not too_deep({"a": [1, {"b": "c"}]})
    assert not too_deep([[1]], limit=2) and too_deep([[[1]]], limit=2)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert too_deep(deep)
