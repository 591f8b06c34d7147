"""A team's join page (/t/<join_key>): what its card's QR code opens, in each join mode."""

from __future__ import annotations

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.database import utcnow
from volunteer_app.teams.models import JoinMode, MemberStatus, TeamMember, new_join_key

from ..conftest import csrf_token
from .test_races import phone, remembered


def joined(app, db, team, volunteer, data=None):
    """POST the join form from the volunteer's remembered phone; the response."""
    cookie = remembered(app, db, volunteer)
    db.session.commit()
    client = phone(app, cookie)
    url = f"/t/{team.join_key}"
    token = csrf_token(client, "/me")  # a second tap comes from a page already open
    return client.post(url, data={"csrf_token": token, **(data or {})})


def status(db, team, volunteer):
    return db.session.scalar(
        select(TeamMember.status).where(
            TeamMember.team_id == team.id, TeamMember.volunteer_id == volunteer.id
        )
    )


def test_a_visitor_without_an_account_is_offered_to_register_and_come_back(app, client, make, db):
    team = make.team(name="万福社区卫生服务中心医护志愿服务队", join_mode=JoinMode.OPEN)
    make.member(team)
    db.session.commit()
    response = client.get(f"/t/{team.join_key}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "万福社区卫生服务中心医护志愿服务队" in html
    assert f"/me/register?next=/t/{team.join_key}" in html
    assert f"/me/sign-in?next=/t/{team.join_key}" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unknown_or_renewed_key_is_not_found(app, client, make, db):
    team = make.team()
    old = team.join_key
    team.join_key = new_join_key()
    db.session.commit()
    assert client.get(f"/t/{old}").status_code == 404
    assert client.get("/t/nothing-like-a-key").status_code == 404


def test_an_open_team_takes_the_volunteer_at_once(app, make, db):
    team = make.team(join_mode=JoinMode.OPEN)
    volunteer = make.volunteer("王秀兰")
    response = joined(app, db, team, volunteer)
    assert response.status_code == 302
    assert status(db, team, volunteer) == MemberStatus.ACTIVE
    page = phone(app, remembered(app, db, volunteer))
    db.session.commit()
    html = page.get(f"/t/{team.join_key}").get_data(as_text=True)
    assert "You are a member of this team." in html


def test_an_approval_team_makes_the_request_wait_and_a_second_tap_writes_nothing(app, make, db):
    team = make.team(join_mode=JoinMode.APPROVAL)
    volunteer = make.volunteer()
    assert joined(app, db, team, volunteer).status_code == 302
    assert status(db, team, volunteer) == MemberStatus.PENDING
    again = joined(app, db, team, volunteer)
    assert again.status_code == 409
    assert "waiting for the leader" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_a_join_code_team_asks_for_its_code_beside_the_field(app, make, db):
    team = make.team(join_mode=JoinMode.CODE, join_code="LF35")
    volunteer = make.volunteer()
    wrong = joined(app, db, team, volunteer, {"code": "LF36"})
    assert wrong.status_code == 400
    assert 'id="code-error"' in wrong.get_data(as_text=True)
    assert status(db, team, volunteer) is None
    assert joined(app, db, team, volunteer, {"code": "lf35"}).status_code == 302
    assert status(db, team, volunteer) == MemberStatus.ACTIVE


def test_a_closed_or_disabled_team_takes_no_one(app, make, db):
    closed = make.team(join_mode=JoinMode.CLOSED)
    disabled = make.team(join_mode=JoinMode.OPEN, disabled_at=utcnow())
    volunteer = make.volunteer()
    assert joined(app, db, closed, volunteer).status_code == 403
    assert joined(app, db, disabled, volunteer).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(TeamMember)) == 0


def test_joining_needs_the_phone_and_the_csrf_token(app, client, make, db):
    team = make.team(join_mode=JoinMode.OPEN)
    volunteer = make.volunteer()
    anonymous = client.post(
        f"/t/{team.join_key}", data={"csrf_token": csrf_token(client, "/me/sign-in")}
    )
    assert anonymous.status_code == 302 and "/me/sign-in" in anonymous.headers["Location"]
    cookie = remembered(app, db, volunteer)
    db.session.commit()
    assert phone(app, cookie).post(f"/t/{team.join_key}").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(TeamMember)) == 0


def test_wrong_join_codes_are_limited_per_address(app, make, db):
    from volunteer_app import create_app
    from volunteer_app.extensions import limiter

    from ..conftest import FreshContextClient

    team = make.team(join_mode=JoinMode.CODE, join_code="LF35")
    volunteer = make.volunteer()
    cookie = remembered(app, db, volunteer)
    db.session.commit()
    limited = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "JOIN_CODE_RATE_LIMIT": "2 per hour",
        }
    )
    limited.test_client_class = FreshContextClient
    with limited.app_context():
        limiter.reset()
    try:
        client = phone(limited, cookie)
        url = f"/t/{team.join_key}"
        token = csrf_token(client, url)
        tries = [
            client.post(url, data={"csrf_token": token, "code": code}).status_code
            for code in ("AAAA", "BBBB", "LF35")
        ]
        assert tries == [400, 400, 429]  # even the right code, once the wrong ones are spent
        assert status(db, team, volunteer) is None
    finally:
        with limited.app_context():
            limiter.reset()
            from volunteer_app.extensions import db as _db

            _db.engine.dispose()
