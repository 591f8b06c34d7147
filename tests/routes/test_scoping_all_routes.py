"""Every route, found by walking the URL map: anonymous callers and other stations get nowhere.

A new route is covered automatically. A route with an id parameter this file does not know
fails the test until a filler below says how to make another station's object for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from volunteer_app.api.services import create_token
from volunteer_app.database import utcnow

from ..conftest import csrf_token

#: Endpoints anyone may use.
PUBLIC = {
    "static",
    "assets.hashed",
    "activities.home",
    "auth.login",
    "checkins.scan",
    "checkins.scan_submit",
    "health.healthz",
    "api.openapi",
    "activities.kiosk",  # gated by a signed kiosk token (tests/routes/test_projector.py)
    "activities.kiosk_live",
    "pwa.manifest",
    "pwa.service_worker",
    "pwa.offline",
}


class Other:
    """Objects that belong to another station (and another organizer)."""

    def __init__(self, make, db):
        self.activity = make.activity(title="别的站点的活动")
        self.user = make.user(unit=self.activity.unit)
        self.token, _ = create_token(self.user, "theirs", now=utcnow())
        self.volunteer = make.volunteer("别人的志愿者")
        from volunteer_app.checkins import services as checkins

        self.checkin = checkins.check_in(self.activity, self.volunteer, now=self.activity.starts_at)
        db.session.commit()


#: How to fill each URL parameter with an object of the other station.
FILLERS: dict[str, Callable[[Other], object]] = {
    "activity_id": lambda other: other.activity.id,
    "token_id": lambda other: other.token.id,
    "checkin_id": lambda other: other.checkin.id,
    "user_id": lambda other: other.user.id,
    "volunteer_id": lambda other: other.volunteer.id,
    "fmt": lambda other: "csv",
}


def routes(app):
    """(rule, method) for every non-public route (HEAD/OPTIONS aside)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_for_rule(rule, other: Other) -> str:
    """The rule's URL with every parameter naming the other station's object."""
    missing = [arg for arg in rule.arguments if arg not in FILLERS]
    assert not missing, f"{rule.rule}: add a filler for {missing} in {__file__}"
    return rule.build({arg: FILLERS[arg](other) for arg in rule.arguments})[1]


def test_anonymous_callers_are_refused_everywhere(app, client, make, db):
    other = Other(make, db)
    checked = 0
    for rule, method in routes(app):
        url = url_for_rule(rule, other)
        response = client.open(url, method=method)
        status = response.status_code
        if rule.endpoint.startswith("api."):
            assert status == 401, (method, url, status)
        elif method == "GET":
            assert status == 302 and "/login" in response.headers["Location"], (method, url)
        else:  # CSRF is checked first for form posts; either way nothing happens
            assert status in (302, 400), (method, url, status)
        checked += 1
    assert checked >= 8


def test_organizers_of_another_station_get_404_for_its_objects(app, client, make, db, login_as):
    other = Other(make, db)
    me = login_as(make.user())
    mine, my_raw = create_token(me, "mine", now=utcnow())
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    checked = 0
    for rule, method in routes(app):
        if not any(arg.endswith("_id") for arg in rule.arguments):
            continue  # nothing of anyone else's is named in the URL
        url = url_for_rule(rule, other)
        if rule.endpoint.startswith("api."):
            response = client.open(
                url,
                method=method,
                json={"phone": "13812341234", "name": "x"},
                headers={"Authorization": f"Bearer {my_raw}"},
            )
        elif method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked >= 5
    assert mine.revoked_at is None


@pytest.mark.parametrize("text", ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>'])
def test_hostile_text_renders_inert_everywhere(app, client, make, db, login_as, text):
    from volunteer_app.checkins import services as checkins
    from volunteer_app.checkins.tokens import issue_token

    activity = make.activity(title=text, place=text, description=text)
    volunteer = make.volunteer(name=text)
    checkins.check_in(activity, volunteer, now=activity.starts_at)
    login_as(make.user(unit=activity.unit))
    db.session.commit()
    pages = [
        "/activities",
        f"/activities/{activity.id}",
        "/c/" + issue_token(app.config["SECRET_KEY"], activity.id),
    ]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert text not in html, url
        assert re.search(r"<script>alert|<img src=x", html) is None, url
