"""Volunteer self check-in over the API: QR token + PIN or device key, the page's identity rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app import create_app
from volunteer_app.activities.models import ActivityStatus
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import current_step, issue_rotating_token, issue_token
from volunteer_app.codes import new_key
from volunteer_app.database import utcnow
from volunteer_app.volunteers import identity
from volunteer_app.volunteers.models import Device, PinThrottle, Volunteer

from ..conftest import FreshContextClient
from ..routes.test_identity import PIN, sign_in, with_pin
from .test_api import error_code


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def scan(app, db, make):
    """A running activity and its static QR token."""
    activity = make.activity(title="学雷锋义诊")
    db.session.commit()

    class Scan:
        token = issue_token(app.config["SECRET_KEY"], activity.checkin_key)

    Scan.activity = activity
    return Scan


def test_first_registration_remembers_the_device_then_one_tap(client, db, scan):
    body = {
        "token": f"https://zyz.example.cn/c/{scan.token}",
        "phone": "139 0000 1111",
        "pin": "8264",
        "name": " 刘洋 ",
        "consent": True,
        "remember": True,
    }
    first = client.post("/api/v1/checkin", json=body)
    assert first.status_code == 201, first.json
    assert first.json["name"] == "刘洋" and first.json["phone"] == "139****1111"
    assert first.json["activity_id"] == scan.activity.id and first.json["activity"] == "学雷锋义诊"
    assert first.json["already"] is False and first.json["choose_pin"] is False
    key = first.json["device_key"]
    assert key and count(db, Device) == 1
    volunteer = db.session.scalar(select(Volunteer))
    assert volunteer.household.pin_hash and "8264" not in volunteer.household.pin_hash
    device = {"Authorization": f"Device {key}"}
    again = client.post("/api/v1/checkin", json={"token": scan.token}, headers=device)
    assert again.status_code == 200 and again.json["already"] is True
    assert again.json["id"] == first.json["id"] and again.json["device_key"] is None
    out = client.post("/api/v1/checkout", json={"token": scan.token}, headers=device)
    assert out.status_code == 200 and out.json["already"] is False
    assert out.json["checked_out_at"] is not None
    repeat = client.post("/api/v1/checkout", json={"token": scan.token}, headers=device)
    assert repeat.status_code == 200 and repeat.json["already"] is True
    assert repeat.json["checked_out_at"] == out.json["checked_out_at"]
    assert count(db, CheckIn) == 1 and count(db, Volunteer) == 1 and count(db, Device) == 1


def test_known_number_on_a_kiosk_needs_its_pin_and_leaves_no_device(client, db, make, scan):
    owner = with_pin(make.volunteer("李秀英", phone="13812341234"))
    db.session.commit()
    body = {"token": scan.token, "phone": "13812341234", "pin": PIN}
    first = client.post("/api/v1/checkin", json=body)
    assert first.status_code == 201 and first.json["device_key"] is None
    assert first.json["name"] == "李秀英"
    assert client.post("/api/v1/checkin", json=body).json["already"] is True
    assert count(db, Device) == 0 and count(db, CheckIn) == 1
    assert db.session.scalar(select(CheckIn.volunteer_id)) == owner.id


def test_a_wrong_pin_is_a_mismatch_and_no_pin_yet_says_how_to_claim(client, db, make, scan):
    with_pin(make.volunteer("李秀英", phone="13812341234"))
    make.volunteer("王建国", phone="13800001002")  # a walk-in without a PIN
    db.session.commit()
    answers = []
    for phone, name in [("13812341234", "冒名者"), ("13800001002", "王建国")]:
        response = client.post(
            "/api/v1/checkin",
            json={
                "token": scan.token,
                "phone": phone,
                "pin": "1357",
                "name": name,
                "consent": True,
            },
        )
        answers.append((response.status_code, response.json))
    assert answers[0][0] == 401 and answers[0][1]["error"]["code"] == "mismatch"
    assert "手机号和密码不匹配" in answers[0][1]["error"]["message"]
    assert answers[1][0] == 401 and answers[1][1]["error"]["code"] == "no_pin"
    assert "这个号码还没有设置密码" in answers[1][1]["error"]["message"]
    assert "王建国" not in str(answers[1][1])
    assert count(db, CheckIn) == 0 and count(db, Device) == 0
    assert db.session.scalar(select(Volunteer.name).where(Volunteer.phone == "13812341234")) == (
        "李秀英"
    )


def test_wrong_pins_lock_the_number_together_with_the_pages(client, db, make, scan):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    for guess in ("1111", "2222", "3333"):
        response = client.post(
            "/api/v1/checkin", json={"token": scan.token, "phone": "13812341234", "pin": guess}
        )
        assert response.status_code == 401
    for guess in ("4444", "5555"):
        assert sign_in(client, "13812341234", guess).status_code == 401
    locked = client.post(
        "/api/v1/checkin",
        json={"token": scan.token, "phone": "13812341234", "pin": PIN},
        headers={"Accept-Language": "en"},
    )
    assert locked.status_code == 429 and error_code(locked) == "locked"
    assert locked.json["error"]["message"].startswith("Too many wrong attempts")
    assert count(db, CheckIn) == 0
    assert db.session.scalar(select(PinThrottle.locked_until)) is not None


def test_new_number_needs_consent_name_and_a_good_pin(client, db, scan):
    base = {"token": scan.token, "phone": "13900001111", "name": "刘洋", "consent": True}
    cases = [
        ({**base, "consent": False, "pin": "8264"}, 400, "consent_required"),
        ({**base, "pin": "1234"}, 400, "pin_too_simple"),
        ({**base, "pin": "12"}, 400, "pin_format"),
        ({**base, "pin": "8264", "phone": "12345"}, 400, "phone_invalid"),
        ({**base, "pin": "8264", "name": "刘\u202e洋"}, 400, "name_invalid"),
        ({k: v for k, v in base.items() if k != "name"} | {"pin": "8264"}, 400, "name_required"),
    ]
    for body, status, code in cases:
        response = client.post("/api/v1/checkin", json=body)
        assert (response.status_code, error_code(response)) == (status, code), body
    assert count(db, Volunteer) == 0 and count(db, CheckIn) == 0


def test_one_time_code_checks_in_and_asks_for_a_new_pin(client, db, make, scan):
    volunteer = make.volunteer(phone="13800001002")
    organizer = make.user(unit=scan.activity.unit)
    code = identity.issue_setup_code(volunteer, organizer_id=organizer.id, now=utcnow())
    db.session.commit()
    response = client.post(
        "/api/v1/checkin", json={"token": scan.token, "phone": "13800001002", "pin": code}
    )
    assert response.status_code == 201 and response.json["choose_pin"] is True


@pytest.mark.parametrize("key", ["not-a-key", "x" * 65, "签到", ""])
def test_unknown_or_signed_out_device_is_401(client, db, key, scan):
    response = client.post(
        "/api/v1/checkin", json={"token": scan.token}, headers={"Authorization": f"Device {key}"}
    )
    assert response.status_code == 401 and error_code(response) == "device_unknown"


def test_signed_out_device_is_a_stranger_again(client, db, make, scan):
    volunteer = make.volunteer()
    device = Device(volunteer_id=volunteer.id, key="k" * 32, created_at=utcnow())
    db.session.add(device)
    db.session.commit()
    headers = {"Authorization": f"Device {device.key}"}
    device.revoked_at = utcnow()
    db.session.commit()
    response = client.post("/api/v1/checkin", json={"token": scan.token}, headers=headers)
    assert response.status_code == 401 and count(db, CheckIn) == 0


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
        ({"json": ["token"]}, 400, "invalid_json"),
        ({"json": {}}, 422, "invalid_body"),
        ({"json": {"token": 5}}, 422, "invalid_body"),
        ({"json": {"token": "T", "consent": "yes"}}, 422, "invalid_body"),
        ({"json": {"token": "T", "remember": 1}}, 422, "invalid_body"),
        ({"json": {"token": "T", "phone": 13812341234, "pin": "2580"}}, 422, "invalid_body"),
        ({"json": {"token": "T", "volunteer": 1}}, 422, "invalid_body"),
        ({"json": {"token": "T", "volunteer_id": 0}}, 422, "invalid_body"),
        ({"json": {"token": "T"}}, 422, "identity_required"),
        ({"json": {"token": "T", "phone": "13812341234"}}, 422, "identity_required"),
        ({"json": {"token": "nonsense", "phone": "13812341234", "pin": "2580"}}, 400, "invalid"),
        ({"json": {"token": "T", "name": "李\x00", "phone": "1", "pin": "1"}}, 400, None),
    ],
)
def test_bad_bodies_are_4xx_json_and_store_nothing(client, db, scan, kwargs, status, code):
    if "json" in kwargs and isinstance(kwargs["json"], dict) and kwargs["json"].get("token") == "T":
        kwargs = {"json": {**kwargs["json"], "token": scan.token}}
    response = client.post("/api/v1/checkin", **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert error_code(response) == (code or "control_characters")
    assert count(db, CheckIn) == 0 and count(db, Volunteer) == 0


def test_device_key_and_phone_together_are_refused(client, db, make, scan):
    response = client.post(
        "/api/v1/checkin",
        json={"token": scan.token, "phone": "13812341234", "pin": PIN},
        headers={"Authorization": "Device abc"},
    )
    assert response.status_code == 422 and error_code(response) == "identity_required"


def test_token_rules_of_the_activity_apply(app, client, db, make, scan):
    with_pin(make.volunteer(phone="13812341234"))
    scan.activity.allow_static_code = False
    db.session.commit()
    who = {"phone": "13812341234", "pin": PIN}
    static = client.post("/api/v1/checkin", json={"token": scan.token, **who})
    assert static.status_code == 400 and error_code(static) == "static_disabled"
    secret, period = app.config["SECRET_KEY"], scan.activity.rotate_seconds
    now_step = current_step(utcnow(), period)
    old = issue_rotating_token(secret, scan.activity.checkin_key, now_step - 40)
    expired = client.post("/api/v1/checkin", json={"token": old, **who})
    assert expired.status_code == 400 and error_code(expired) == "expired"
    fresh = issue_rotating_token(secret, scan.activity.checkin_key, now_step)
    assert client.post("/api/v1/checkin", json={"token": fresh, **who}).status_code == 201
    forged = issue_rotating_token("another key", scan.activity.checkin_key, now_step)
    assert error_code(client.post("/api/v1/checkin", json={"token": forged, **who})) == "invalid"
    gone = issue_token(secret, new_key())
    assert error_code(client.post("/api/v1/checkin", json={"token": gone, **who})) == "invalid"


def test_check_in_rules_apply_and_a_refusal_registers_nobody(client, db, scan):
    scan.activity.status = ActivityStatus.CANCELLED
    db.session.commit()
    response = client.post(
        "/api/v1/checkin",
        json={"token": scan.token, "phone": "13900001111", "pin": "8264", "name": "刘洋",
              "consent": True, "remember": True},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    assert response.status_code == 409 and error_code(response) == "cancelled"
    assert response.json["error"]["message"] == "This activity has been cancelled."
    assert count(db, Volunteer) == 0 and count(db, Device) == 0


def test_check_out_before_check_in_is_409(client, db, make, scan):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    response = client.post(
        "/api/v1/checkout", json={"token": scan.token, "phone": "13812341234", "pin": PIN}
    )
    assert response.status_code == 409 and error_code(response) == "not_checked_in"
    assert response.json["error"]["message"] == "您还没有签到。"


def test_an_organizer_token_is_neither_needed_nor_used(client, db, make, scan, api):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    response = client.post(
        "/api/v1/checkin",
        json={"token": scan.token, "phone": "13812341234", "pin": PIN},
        headers=api.headers,
    )
    assert response.status_code == 201
    record = db.session.scalar(select(CheckIn))
    assert record.origin.value == "scan" and record.recorded_by_id is None


@pytest.fixture
def limited(app):
    """The same database behind an app with tight limits on: 3 anonymous calls, 2 bad PINs."""
    limited_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "API_ANONYMOUS_RATE_LIMIT": "3 per minute",
            "PIN_RATE_LIMIT": "2 per 10 minutes",
        }
    )
    from volunteer_app.extensions import limiter

    with limited_app.app_context():
        limiter.reset()
    limited_app.test_client_class = FreshContextClient
    yield limited_app.test_client()
    with limited_app.app_context():
        limiter.reset()
        from volunteer_app.extensions import db as _db

        _db.engine.dispose()


def test_anonymous_limit_per_address_whatever_the_header(db, scan, limited):
    statuses = [
        limited.post(
            "/api/v1/checkin",
            json={"token": scan.token},
            headers={"Authorization": f"Bearer made-up-{n}"},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    assert error_code(limited.post("/api/v1/checkout", json={"token": scan.token})) != "http_429"


def test_failed_pins_share_the_per_address_budget_with_the_pages(db, make, scan, limited):
    for phone in ("13812341234", "13700000002"):
        with_pin(make.volunteer(phone=phone))
    db.session.commit()
    assert sign_in(limited, "13700000001", "1111").status_code == 401
    wrong = limited.post(
        "/api/v1/checkin", json={"token": scan.token, "phone": "13700000002", "pin": "1111"}
    )
    assert wrong.status_code == 401
    third = limited.post(
        "/api/v1/checkout", json={"token": scan.token, "phone": "13812341234", "pin": PIN}
    )
    assert third.status_code == 429 and error_code(third) == "http_429"
    assert "尝试次数过多" in third.json["error"]["message"]


def test_rotating_code_is_accepted_for_about_two_periods_without_grace(app, client, db, make, scan):
    """The previous step's code still works; one three periods old does not, although a page
    opened in time would still accept it: the API has no page to prove the opening."""
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    period = scan.activity.rotate_seconds
    assert app.config["ROTATING_SUBMIT_GRACE_SECONDS"] > 3 * period
    secret, key = app.config["SECRET_KEY"], scan.activity.checkin_key
    who = {"phone": "13812341234", "pin": PIN}
    stale = issue_rotating_token(secret, key, current_step(utcnow(), period) - 3)
    response = client.post("/api/v1/checkin", json={"token": stale, **who})
    assert response.status_code == 400 and error_code(response) == "expired"
    previous = issue_rotating_token(
        secret, key, current_step(utcnow() - timedelta(seconds=period), period)
    )
    response = client.post("/api/v1/checkin", json={"token": previous, **who})
    assert response.status_code == 201
