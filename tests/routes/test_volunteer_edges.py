"""Issue 20's rough edges on the volunteer's side, through the test client: plain headings
for refused QR codes, every form error at once beside its field, the tries left before the
PIN lock, the own CSV export in the person's language and Beijing time, a readable change
log, and a one-time code typed after an organizer's check-in remembering the phone."""

from __future__ import annotations

import re

from volunteer_app.checkins.tokens import current_step, issue_rotating_token
from volunteer_app.database import utcnow


def _heading(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


def test_an_expired_code_is_headed_plainly_and_says_what_to_do(client, make, db, app):
    activity = make.activity(rotate_seconds=30)
    db.session.commit()
    stale = issue_rotating_token(
        app.config["SECRET_KEY"], activity.checkin_key, current_step(utcnow(), 30) - 3
    )
    response = client.get(f"/c/{stale}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _heading(html) == "二维码已过期"
    assert "请求有误" not in html
    assert "请重新扫描活动现场屏幕上的二维码" in html
    english = client.get(f"/c/{stale}?lang=en").get_data(as_text=True)
    assert _heading(english) == "This QR code has expired"


def test_a_forged_code_is_headed_plainly(client):
    response = client.get("/c/s1.forged")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _heading(html) == "二维码无法使用"
    assert "请重新扫描活动现场的二维码" in html


def test_an_expired_form_is_headed_plainly(client, make, db, app):
    from volunteer_app.checkins.tokens import issue_token

    activity = make.activity()
    db.session.commit()
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    response = client.post(path, data={"action": "check_in"})
    assert response.status_code == 400
    assert _heading(response.get_data(as_text=True)) == "页面已过期"


def test_other_errors_keep_their_status_title(client):
    response = client.get("/no-such-page")
    assert _heading(response.get_data(as_text=True)) == "页面不存在"
