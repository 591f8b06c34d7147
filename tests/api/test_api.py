"""API v1 per endpoint: happy path, scoping, bad and revoked tokens, bad bodies, repeats."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.activities.models import ActivityStatus
from volunteer_app.api.services import create_token
from volunteer_app.checkins.models import CheckIn
from volunteer_app.codes import new_key
from volunteer_app.database import utcnow
from volunteer_app.volunteers.cards import issue_card
from volunteer_app.volunteers.models import Volunteer

from ..conftest import csrf_token


def error_code(response) -> str:
    assert response.is_json, response.get_data(as_text=True)[:200]
    return response.json["error"]["code"]


def records(db) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn))


# --- authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer nope", "Basic abc", "Bearer vat_" + "x" * 43, "Bearer 签到"]
)
def test_missing_or_unknown_token_is_401_json(client, api, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/activities", headers=headers)
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    assert "API" in response.json["error"]["message"]


def test_revoked_token_is_401(client, db, api):
    api.token.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/activities", headers=api.headers).status_code == 401


def test_inactive_user_token_is_401(client, db, api):
    api.user.is_active = False
    db.session.commit()
    assert client.get("/api/v1/activities", headers=api.headers).status_code == 401


def test_token_is_stored_hashed(api):
    assert api.raw not in (api.token.token_hash, api.token.prefix)
    assert api.raw.startswith(api.token.prefix)


# --- activities -------------------------------------------------------------------------


def test_list_is_scoped_and_paginated(client, db, make, api):
    make.activity(
        unit=api.activity.unit, title="第二个活动", starts_at=utcnow() + timedelta(days=3)
    )
    make.activity(title="别的站点的活动")
    db.session.commit()
    body = client.get("/api/v1/activities?per_page=1", headers=api.headers).json
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 1
    assert [a["title"] for a in body["items"]] == ["第二个活动"]
    second = client.get("/api/v1/activities?per_page=1&page=2", headers=api.headers).json
    assert second["items"][0]["title"] == "学雷锋义诊"
    assert second["items"][0]["station"] == api.activity.unit.name


def test_list_filters(client, db, make, api):
    make.activity(unit=api.activity.unit, title="已取消", status=ActivityStatus.CANCELLED)
    db.session.commit()
    cancelled = client.get("/api/v1/activities?status=cancelled", headers=api.headers).json
    assert [a["title"] for a in cancelled["items"]] == ["已取消"]
    station = api.activity.unit_id
    assert (
        client.get(f"/api/v1/activities?station_id={station}", headers=api.headers).json["total"]
        == 2
    )
    assert client.get("/api/v1/activities?station_id=99999", headers=api.headers).json["total"] == 0
    assert (
        client.get("/api/v1/activities?date_from=2100-01-01", headers=api.headers).json["total"]
        == 0
    )


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=x",
        "per_page=201",
        "per_page=-1",
        "status=open",
        "date_from=2021-13-01",
        "date_from=0001-01-01",
        "date_to=9999-12-31",
        "date_from=20210305",
        "station_id=abc",
        "station_id=2147483648",
        "station_id=9223372036854775808",
        "page=²",
        "station_id=%D9%A1%D9%A2",  # Arabic-Indic digits
        "per_page=%EF%BC%95",  # a full-width 5
    ],
)
def test_list_rejects_bad_parameters(client, api, query):
    response = client.get(f"/api/v1/activities?{query}", headers=api.headers)
    assert response.status_code == 400 and error_code(response) == "invalid_parameter"


def test_get_activity_and_scoping(client, db, make, api):
    other = make.activity(title="别人的")
    db.session.commit()
    response = client.get(f"/api/v1/activities/{api.activity.id}", headers=api.headers)
    assert response.status_code == 200 and response.json["checked_in"] == 0
    assert response.json["starts_at"].endswith("Z")
    for url in (
        f"/api/v1/activities/{other.id}",
        f"/api/v1/activities/{other.id}/checkins",
        "/api/v1/activities/999999",
    ):
        missing = client.get(url, headers=api.headers)
        assert missing.status_code == 404 and error_code(missing) == "http_404"
    for url in (
        f"/api/v1/activities/{other.id}/checkins",
        f"/api/v1/activities/{other.id}/checkouts",
    ):
        response = client.post(
            url, json={"phone": "13812341234", "name": "李秀英"}, headers=api.headers
        )
        assert response.status_code == 404
    assert records(db) == 0


# --- check-in and check-out ---------------------------------------------------------------


def test_walk_in_check_in_then_repeat_is_idempotent(client, db, api):
    url = f"/api/v1/activities/{api.activity.id}/checkins"
    body = {"phone": "138 1234 1234", "name": "  李秀英 ", "consent": True}
    first = client.post(url, json=body, headers=api.headers)
    assert first.status_code == 201, first.json
    assert first.json["already"] is False and first.json["phone"] == "138****1234"
    assert first.json["origin"] == "organizer" and first.json["name"] == "李秀英"
    again = client.post(url, json=body, headers=api.headers)
    assert again.status_code == 200 and again.json["already"] is True
    assert again.json["id"] == first.json["id"]
    assert records(db) == 1
    listing = client.get(url, headers=api.headers).json
    assert (
        listing["total"] == 1 and listing["items"][0]["volunteer_id"] == first.json["volunteer_id"]
    )


def test_card_check_in_and_check_out(client, db, make, api, app):
    volunteer = make.volunteer("王建国", registered_unit_id=api.activity.unit_id)
    db.session.commit()
    card = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    base = f"/api/v1/activities/{api.activity.id}"
    assert (
        client.post(f"{base}/checkins", json={"card": card}, headers=api.headers).status_code == 201
    )
    out = client.post(f"{base}/checkouts", json={"card": card}, headers=api.headers)
    assert out.status_code == 200 and out.json["already"] is False
    assert out.json["checked_out_at"] is not None
    repeat = client.post(f"{base}/checkouts", json={"card": card}, headers=api.headers)
    assert repeat.status_code == 200 and repeat.json["already"] is True
    assert repeat.json["checked_out_at"] == out.json["checked_out_at"]


def test_check_out_without_check_in_is_409(client, db, make, api):
    volunteer = make.volunteer(phone="13900000001", registered_unit_id=api.activity.unit_id)
    db.session.commit()
    response = client.post(
        f"/api/v1/activities/{api.activity.id}/checkouts",
        json={"phone": volunteer.phone},
        headers=api.headers,
    )
    assert response.status_code == 409 and error_code(response) == "not_checked_in"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
        (
            {"data": "phone=1", "content_type": "application/x-www-form-urlencoded"},
            400,
            "invalid_json",
        ),
        ({"json": ["13812341234"]}, 400, "invalid_json"),
        ({"json": {}}, 422, "invalid_body"),
        ({"json": {"phone": 13812341234}}, 422, "invalid_body"),
        ({"json": {"phone": "13812341234", "card": "c1.x"}}, 422, "invalid_body"),
        ({"json": {"card": "c1.x", "name": "x"}}, 422, "invalid_body"),
        ({"json": {"phone": "13812341234", "extra": 1}}, 422, "invalid_body"),
        ({"json": {"phone": "x" * 10_000}}, 422, "invalid_body"),
        ({"json": {"phone": "12345"}}, 400, "phone_invalid"),
        ({"json": {"phone": "13812341234"}}, 422, "name_required"),
        ({"json": {"phone": "13812341234", "name": "李秀英"}}, 422, "consent_required"),
        (
            {"json": {"phone": "13812341234", "name": "李秀英", "consent": False}},
            422,
            "consent_required",
        ),
        (
            {"json": {"phone": "13812341234", "name": "李秀英", "consent": "yes"}},
            422,
            "invalid_body",
        ),
        ({"json": {"phone": "13812341234", "name": "李\x00"}}, 400, "control_characters"),
        ({"json": {"phone": "13812341234", "name": "李\u202e"}}, 400, "name_invalid"),
        ({"json": {"card": "c1.forged"}}, 400, "invalid"),
    ],
)
def test_bad_bodies_are_4xx_and_store_nothing(client, db, api, kwargs, status, code):
    response = client.post(
        f"/api/v1/activities/{api.activity.id}/checkins", headers=api.headers, **kwargs
    )
    assert response.status_code == status and error_code(response) == code
    assert records(db) == 0
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 0


def test_unknown_card_is_404(client, api, app):
    card = issue_card(app.config["SECRET_KEY"], new_key())
    response = client.post(
        f"/api/v1/activities/{api.activity.id}/checkins", json={"card": card}, headers=api.headers
    )
    assert response.status_code == 404 and error_code(response) == "volunteer_not_found"


def test_rules_apply_to_the_api_too(client, db, api):
    api.activity.status = ActivityStatus.CANCELLED
    db.session.commit()
    response = client.post(
        f"/api/v1/activities/{api.activity.id}/checkins",
        json={"phone": "13812341234", "name": "李秀英", "consent": True},
        headers=api.headers,
    )
    assert response.status_code == 409 and error_code(response) == "cancelled"
    assert response.json["error"]["message"] == "本次活动已取消。"
    english = client.post(
        f"/api/v1/activities/{api.activity.id}/checkins",
        json={"phone": "13812341234", "name": "李秀英", "consent": True},
        headers={**api.headers, "Accept-Language": "en"},
    )
    assert english.json["error"]["message"] == "This activity has been cancelled."
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 0


def test_unknown_api_route_and_method_are_json(client, api):
    assert error_code(client.get("/api/v1/nope", headers=api.headers)) == "http_404"
    response = client.delete(f"/api/v1/activities/{api.activity.id}", headers=api.headers)
    assert response.status_code == 405 and error_code(response) == "http_405"


# --- rate limits --------------------------------------------------------------------------


def test_rate_limits_per_token_and_for_anonymous_callers(app, db, api):
    from volunteer_app import create_app

    limited = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "API_RATE_LIMIT": "3 per minute",
            "API_ANONYMOUS_RATE_LIMIT": "2 per minute",
        }
    )
    client = limited.test_client()
    statuses = [client.get("/api/v1/activities", headers=api.headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert error_code(client.get("/api/v1/activities", headers=api.headers)) == "http_429"
    _, other = create_token(api.user, "second kiosk", now=utcnow())
    db.session.commit()
    assert (
        client.get("/api/v1/activities", headers={"Authorization": f"Bearer {other}"}).status_code
        == 200
    )
    anonymous = [client.get("/api/v1/activities").status_code for _ in range(3)]
    assert anonymous == [401, 401, 429]
    with limited.app_context():
        from volunteer_app.extensions import db as limited_db

        limited_db.engine.dispose()


# --- console and CLI ----------------------------------------------------------------------


def test_console_creates_shows_once_and_revokes(client, db, make, login_as):
    user = login_as(make.user())
    token = csrf_token(client, "/account/api-tokens")
    page = client.post("/account/api-tokens", data={"name": "校门口平板", "csrf_token": token})
    html = page.get_data(as_text=True)
    raw = html.split('<code class="token">')[1].split("</code>")[0]
    assert raw.startswith("vat_") and "校门口平板" in html
    assert (
        client.get("/api/v1/activities", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert raw not in listing  # shown once only
    from volunteer_app.api.services import tokens_of

    (stored,) = tokens_of(user)
    client.post(f"/account/api-tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert (
        client.get("/api/v1/activities", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 401
    )


def test_cannot_revoke_someone_elses_token(client, db, make, login_as, api):
    login_as(make.user())
    token = csrf_token(client, "/account/api-tokens")
    response = client.post(f"/account/api-tokens/{api.token.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert client.get("/api/v1/activities", headers=api.headers).status_code == 200


def test_cli_create_api_token(runner, db, make, client):
    user = make.user("lvling")
    db.session.commit()
    result = runner.invoke(args=["create-api-token", "lvling", "--name", "nightly sync"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    assert (
        client.get("/api/v1/activities", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )
    assert user.id
    assert runner.invoke(args=["create-api-token", "nobody"]).exit_code != 0


def test_the_api_refuses_replaced_and_version_1_cards(app, client, make, db, api):
    volunteer = make.volunteer("赵桂兰", registered_unit_id=api.activity.unit_id)
    db.session.commit()
    secret = app.config["SECRET_KEY"]
    old = issue_card(secret, volunteer.card_key)
    from itsdangerous import Signer

    from volunteer_app.volunteers import cards
    from volunteer_app.volunteers.cards import V1_SALT

    # a renewed card is unknown (404); a card of version 1 is refused as replaced (400)
    cards.renew_card(volunteer, now=utcnow())
    db.session.commit()
    url = f"/api/v1/activities/{api.activity.id}/checkins"
    response = client.post(url, json={"card": old}, headers=api.headers)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "volunteer_not_found"
    v1 = Signer(secret, salt=V1_SALT).sign(f"c{volunteer.id}").decode()
    response = client.post(url, json={"card": v1}, headers=api.headers)
    assert response.status_code == 400 and response.json["error"]["code"] == "replaced"
    new = issue_card(secret, volunteer.card_key)
    assert client.post(url, json={"card": new}, headers=api.headers).status_code == 201
    assert re.fullmatch(r"2c[\w-]{16}\.[\w-]{14}", new)
