"""Takeover attempts, brute force, enumeration, one-time codes and devices, over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from volunteer_app import create_app
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.volunteers.models import Device, Household, PinThrottle, Volunteer

from ..conftest import FreshContextClient, csrf_token

PIN = "2580"


def with_pin(volunteer, pin: str = PIN):
    """Give a factory-made volunteer a PIN."""
    volunteer.household.pin_hash = generate_password_hash(pin)
    volunteer.household.pin_set_at = utcnow()
    return volunteer


def sign_in(client, phone: str, pin: str):
    """Post the sign-in form of My page."""
    token = csrf_token(client, "/me/sign-in")
    return client.post("/me/sign-in", data={"csrf_token": token, "phone": phone, "pin": pin})


def scan_new_device(client, app, activity, **fields):
    """Submit the check-in form of an activity as a device the app does not know."""
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "action": "check_in", **fields})


def message_of(response) -> str:
    """The visible error text of a page, without tokens that differ per request."""
    html = response.get_data(as_text=True)
    found = re.findall(r'role="alert">\s*(?:<p>)?(.*?)</p>', html, flags=re.S)
    return " ".join(m.strip() for m in found)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_known_number_from_a_new_device_without_the_pin_gets_nothing(app, db, client, make):
    owner = with_pin(make.volunteer(name="李秀英", phone="13812341234"))
    activity = make.activity()
    db.session.commit()
    response = scan_new_device(
        client, app, activity, name="冒名者", phone="13812341234", consent="y", pin="1357"
    )
    assert response.status_code == 401
    assert "手机号和密码不匹配" in response.get_data(as_text=True)
    assert client.get_cookie("vdev") is None
    assert count(db, CheckIn) == 0 and count(db, Device) == 0
    assert db.session.get(Volunteer, owner.id).name == "李秀英"


def test_known_number_with_its_pin_signs_in_on_the_new_device_and_checks_in(app, db, client, make):
    owner = with_pin(make.volunteer(phone="13812341234"))
    activity = make.activity()
    db.session.commit()
    response = scan_new_device(client, app, activity, phone="13812341234", pin=PIN)
    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)
    assert db.session.scalar(select(CheckIn.volunteer_id)) == owner.id
    assert client.get_cookie("vdev") is not None


def test_a_volunteer_without_pin_cannot_be_claimed_by_typing_their_number(app, db, client, make):
    make.volunteer(name="王建国", phone="13800001002")  # e.g. demo seed or organizer walk-in
    activity = make.activity()
    db.session.commit()
    for pin in ("2580", "0000", ""):
        response = scan_new_device(
            client, app, activity, name="王建国", phone="13800001002", consent="y", pin=pin
        )
        assert response.status_code in (400, 401)
    assert count(db, Device) == 0 and count(db, CheckIn) == 0
    assert sign_in(client, "13800001002", "2580").status_code == 401
    assert db.session.scalar(select(Household.pin_hash)) is None


def test_new_registration_needs_a_pin(app, db, client, make):
    activity = make.activity()
    db.session.commit()
    response = scan_new_device(client, app, activity, name="刘洋", phone="13900001111", consent="y")
    assert response.status_code == 400 and "密码须为 4–6 位数字" in response.get_data(as_text=True)
    response = scan_new_device(
        client, app, activity, name="刘洋", phone="13900001111", consent="y", pin="1234"
    )
    assert response.status_code == 400 and "太容易被猜到" in response.get_data(as_text=True)
    assert count(db, Volunteer) == 0
    response = scan_new_device(
        client, app, activity, name="刘洋", phone="13900001111", consent="y", pin="8264"
    )
    assert response.status_code == 200
    volunteer = db.session.scalar(select(Volunteer))
    assert volunteer.household.pin_hash and "8264" not in volunteer.household.pin_hash


def test_unknown_number_and_wrong_pin_look_the_same(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    wrong_pin = sign_in(client, "13812341234", "9999")
    unknown = sign_in(client, "13712345678", "9999")
    assert wrong_pin.status_code == unknown.status_code == 401
    assert message_of(wrong_pin) == message_of(unknown) != ""
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong_pin).replace("13812341234", "") == strip(unknown).replace("13712345678", "")


def test_brute_force_locks_the_number_even_for_the_right_pin(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    for guess in ("1111", "2222", "3333", "4444", "5555"):
        assert sign_in(client, "13812341234", guess).status_code == 401
    locked = sign_in(client, "13812341234", PIN)
    assert locked.status_code == 429 and "尝试次数过多" in locked.get_data(as_text=True)
    assert client.get_cookie("vdev") is None
    # After the lockout the owner gets in; the failures were counted in the database.
    throttle = db.session.scalar(select(PinThrottle))
    assert throttle.locked_until is not None and "13812341234" not in throttle.key
    throttle.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(client, "13812341234", PIN).status_code == 302


def test_unknown_numbers_lock_exactly_like_known_ones(app, db, client, make):
    for guess in ("1111", "2222", "3333", "4444", "5555"):
        assert sign_in(client, "13712345678", guess).status_code == 401
    assert sign_in(client, "13712345678", "6666").status_code == 429
    assert count(db, Volunteer) == 0


def test_wrong_pins_on_the_check_in_page_count_toward_the_same_lockout(app, db, client, make):
    with_pin(make.volunteer(phone="13812341234"))
    activity = make.activity()
    db.session.commit()
    for guess in ("1111", "2222", "3333"):
        assert (
            scan_new_device(client, app, activity, phone="13812341234", pin=guess).status_code
            == 401
        )
    for guess in ("4444", "5555"):
        assert sign_in(client, "13812341234", guess).status_code == 401
    response = scan_new_device(client, app, activity, phone="13812341234", pin=PIN)
    assert response.status_code == 429 and count(db, CheckIn) == 0


@pytest.fixture
def limited(app):
    """The same database served by an app with rate limiting on (2 failed PINs per IP)."""
    limited_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
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


def test_per_ip_limit_stops_guessing_across_many_numbers(db, make, limited):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    assert sign_in(limited, "13700000001", "1111").status_code == 401
    assert sign_in(limited, "13700000002", "1111").status_code == 401
    third = sign_in(limited, "13812341234", PIN)
    assert third.status_code == 429
    assert "尝试次数过多" in third.get_data(as_text=True)


def test_successful_sign_ins_do_not_use_up_the_ip_limit(db, make, limited):
    with_pin(make.volunteer(phone="13812341234"))
    db.session.commit()
    for _ in range(4):
        assert sign_in(limited, "13812341234", PIN).status_code == 302


def test_per_ip_limit_also_guards_the_check_in_page(app, db, make, limited):
    with_pin(make.volunteer(phone="13812341234"))
    activity = make.activity()
    db.session.commit()
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    for phone in ("13700000001", "13700000002"):
        with_pin(make.volunteer(phone=phone))
    db.session.commit()
    for phone in ("13700000001", "13700000002"):
        token = csrf_token(limited, path)
        data = {"csrf_token": token, "action": "check_in", "phone": phone, "pin": "1111"}
        assert limited.post(path, data=data).status_code == 401
    token = csrf_token(limited, path)
    data = {"csrf_token": token, "action": "check_in", "phone": "13812341234", "pin": PIN}
    assert limited.post(path, data=data).status_code == 429


def test_the_per_ip_budget_is_shared_between_pages(app, db, make, limited):
    activity = make.activity()
    for phone in ("13812341234", "13700000001"):
        with_pin(make.volunteer(phone=phone))
    db.session.commit()
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    token = csrf_token(limited, path)
    data = {"csrf_token": token, "action": "check_in", "phone": "13700000001", "pin": "1111"}
    assert limited.post(path, data=data).status_code == 401
    assert sign_in(limited, "13700000001", "2222").status_code == 401
    assert sign_in(limited, "13812341234", PIN).status_code == 429


def test_concurrent_wrong_pins_for_one_number_are_all_counted(app, db, make):
    import threading

    make.activity()  # a non-empty database, like any real one
    db.session.commit()
    # The first wrong PIN creates the throttle row; the burst then updates it concurrently.
    assert sign_in(app.test_client(), "13712345678", "9998").status_code == 401
    attempts = 3
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def attempt(guess: str) -> None:
        with app.app_context():
            client = app.test_client()
            token = csrf_token(client, "/me/sign-in")
            barrier.wait()
            response = client.post(
                "/me/sign-in", data={"csrf_token": token, "phone": "13712345678", "pin": guess}
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(f"{i}{i}{i}8",)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [401] * attempts
    db.session.commit()  # end the test's transaction to read what the requests wrote
    assert db.session.scalar(select(PinThrottle.failures)) == attempts + 1


def test_check_in_with_a_one_time_code_leads_to_choosing_a_pin(app, db, client, make):
    from volunteer_app.volunteers import identity

    volunteer = make.volunteer(phone="13800001002")
    organizer = make.user()
    activity = make.activity()
    code = identity.issue_setup_code(volunteer, organizer_id=organizer.id, now=utcnow())
    db.session.commit()
    response = scan_new_device(client, app, activity, phone="13800001002", pin=code)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "签到成功" in html
    assert 'href="/me/pin"' in html and "设置密码" in html
