"""The claim path for numbers registered by others, the SMS code, and the per-IP limit on
answers that reveal a number (issue 14, points 3 and 4)."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from volunteer_app import create_app, sms
from volunteer_app.audit.models import AuditEntry
from volunteer_app.volunteers.models import Household

from ..conftest import FreshContextClient, csrf_token
from .test_identity import PIN, sign_in, with_pin
from .test_my_page import post

CLAIM = "这个号码还没有设置密码。请到登记您的站点领取一次性验证码"


def send_sms(client, phone: str):
    token = csrf_token(client, "/me/sign-in")
    return client.post("/me/sign-in/sms", data={"csrf_token": token, "phone": phone})


def outbox(app) -> list:
    with app.app_context():
        return sms.gateway().outbox


def test_a_number_without_pin_is_told_how_to_claim_it_not_mismatch(app, client, db, make):
    make.volunteer("王建国", phone="13800001002")  # a walk-in: no PIN
    db.session.commit()
    response = sign_in(client, "13800001002", "2580")
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and CLAIM in html
    assert "手机号和密码不匹配" not in html and "王建国" not in html
    assert 'id="sms-code"' not in html  # no SMS gateway configured: no button
    app.config["SMS_BACKEND"] = "log"
    assert 'id="sms-code"' in sign_in(client, "13800001002", "2580").get_data(as_text=True)
    # Unknown numbers and wrong PINs still share one answer, without the SMS button.
    unknown = sign_in(client, "13712345678", "2580").get_data(as_text=True)
    assert "手机号和密码不匹配" in unknown and 'id="sms-code"' not in unknown


def test_the_sms_code_claims_a_number_registered_by_others(app, client, db, make, caplog):
    app.config["SMS_BACKEND"] = "log"
    volunteer = make.volunteer("王建国", phone="13800001002")
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="volunteer_app.sms"):
        response = send_sms(client, "13800001002")
    assert response.status_code == 200 and 'id="sms-sent"' in response.get_data(as_text=True)
    (message,) = outbox(app)
    code = message.text.split("验证码是 ")[1][:8]
    assert message.phone == "13800001002" and code.isdigit()
    assert "138****1002" in caplog.text and "13800001002" not in caplog.text
    assert code in caplog.text  # the development backend is for developers
    db.session.expire_all()
    household = db.session.scalar(select(Household))
    assert household.setup_code_hash and code not in household.setup_code_hash
    assert household.setup_code_expires_at is not None
    issued = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "volunteer.setup_code_issued")
    )
    assert issued.volunteer_id == volunteer.id and issued.new_value["via"] == "sms"
    assert issued.actor_user_id is None

    used = sign_in(client, "13800001002", code)
    assert used.status_code == 302 and used.headers["Location"].endswith("/me/pin")
    assert post(client, "/me/pin", new_pin="8264", confirm="8264").status_code == 302
    page = client.get("/me").get_data(as_text=True)
    assert "账户记录" in page and "短信" in page
    assert sign_in(app.test_client(), "13800001002", code).status_code == 401  # used once


def test_no_sms_for_a_number_with_a_pin_or_unknown_and_the_same_answer(app, client, db, make):
    app.config["SMS_BACKEND"] = "log"
    with_pin(make.volunteer("李秀英", phone="13812341234"))
    db.session.commit()
    answers = [send_sms(client, phone) for phone in ("13812341234", "13712345678")]
    assert [a.status_code for a in answers] == [200, 200]

    def strip(response) -> str:
        html = response.get_data(as_text=True)
        html = re.sub(r'value="[^"]*"', "", html)  # CSRF tokens and the number typed
        return html.replace("13812341234", "").replace("13712345678", "")

    assert strip(answers[0]) == strip(answers[1])
    assert 'id="sms-sent"' in strip(answers[0])
    assert outbox(app) == []
    assert db.session.scalar(select(Household.setup_code_hash)) is None
    assert db.session.scalar(select(AuditEntry.id)) is None
    assert sign_in(client, "13812341234", PIN).status_code == 302


def test_without_a_gateway_there_is_no_sms_route(app, client, db, make):
    make.volunteer("王建国", phone="13800001002")
    db.session.commit()
    assert send_sms(client, "13800001002").status_code == 404


@pytest.fixture
def limited(app):
    """The same database behind an app with tight limits: 2 SMS per number, 3 per address,
    3 revealing answers per address; the failed-PIN budget out of the way."""
    limited_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PIN_RATE_LIMIT": "100 per minute",
            "PROBE_RATE_LIMIT": "3 per hour",
            "SMS_BACKEND": "log",
            "SMS_RATE_LIMIT_NUMBER": "2 per hour",
            "SMS_RATE_LIMIT_IP": "3 per hour",
        }
    )
    from volunteer_app.extensions import limiter

    with limited_app.app_context():
        limiter.reset()
    limited_app.test_client_class = FreshContextClient
    yield limited_app
    with limited_app.app_context():
        limiter.reset()
        from volunteer_app.extensions import db as _db

        _db.engine.dispose()


def test_sms_is_limited_per_number_and_per_address(db, make, limited):
    make.volunteer("王建国", phone="13800001002")
    make.volunteer("王芳", phone="13800001003")
    db.session.commit()
    client = limited.test_client()
    assert [send_sms(client, "13800001002").status_code for _ in range(3)] == [200, 200, 429]
    assert send_sms(client, "13800001003").status_code == 200  # another number: its own budget
    assert send_sms(client, "13800001003").status_code == 429  # the address's budget is spent
    assert len(outbox(limited)) == 3


def test_probing_numbers_is_limited_per_address(db, make, limited):
    make.volunteer("王建国", phone="13800001002")  # no PIN
    with_pin(make.volunteer("李秀英", phone="13812341234"))
    db.session.commit()
    client = limited.test_client()
    for _ in range(3):  # successful sign-ins reveal nothing new and do not count
        assert sign_in(client, "13812341234", PIN).status_code == 302
    assert sign_in(client, "13800001002", "2580").status_code == 401  # "no PIN yet"
    assert sign_in(client, "13712345678", "2580").status_code == 401  # unknown
    assert sign_in(client, "13812341234", "9999").status_code == 401  # wrong PIN
    stopped = sign_in(client, "13700000001", "2580")
    assert stopped.status_code == 429 and CLAIM not in stopped.get_data(as_text=True)
    assert sign_in(client, "13800001002", "2580").status_code == 429
