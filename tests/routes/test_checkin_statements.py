"""The volunteer's form POST on the check-in path stays within its SQL statement budget.

What is counted is explained in tests/statements.py.
"""

from __future__ import annotations

import pytest

from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.volunteers.models import Device
from volunteer_app.volunteers.session import device_signer

from ..conftest import csrf_token
from ..statements import BUDGET, GUARD, check_shape, counting, records


@pytest.fixture
def returning_volunteer(app, db, make):
    """A registered volunteer whose phone is remembered (device cookie), and an activity."""
    activity = make.activity(title="学雷锋志愿服务")
    volunteer = make.volunteer(name="张桂兰", phone="13800138000")
    device = Device(
        volunteer=volunteer, key="remembered-phone", user_agent="t", created_at=utcnow()
    )
    db.session.add(device)
    db.session.commit()
    return activity, device


def test_volunteer_form_post_runs_at_most_four_statements(app, db, client, returning_volunteer):
    activity, device = returning_volunteer
    with app.test_request_context():
        cookie = device_signer().sign(device.key).decode("ascii")
    client.set_cookie(app.config["DEVICE_COOKIE_NAME"], cookie)
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    token = csrf_token(client, path)
    db.session.commit()  # nothing of the test's own session may fall into the count

    with counting(db.engine) as log:
        response = client.post(path, data={"csrf_token": token, "action": "check_in"})

    assert response.status_code == 200, response.get_data(as_text=True)
    assert "签到成功" in response.get_data(as_text=True)
    assert len(log.statements) <= BUDGET + len(GUARD), str(log)
    check_shape(db.engine, log)
    assert records(db, activity) == 1
