"""Organizer sessions on the server, the sign-in lockout in the database, one password hash
per sign-in whatever the username."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.auth import lockout, services, sessions
from volunteer_app.auth.models import LoginThrottle, UserSession
from volunteer_app.auth.rules import LoginError
from volunteer_app.database import utcnow

from ..factories import Factory


def sign_in(username, password=Factory.PASSWORD, *, remember=False, now=None):
    return services.sign_in(
        username, password, remember=remember, user_agent="test-browser", now=now or utcnow()
    )


def test_each_sign_in_opens_its_own_session_stored_hashed(app, db, make):
    user = make.user("wanfu")
    db.session.commit()
    now = utcnow()
    first = sign_in("wanfu", now=now).get_id()
    db.session.commit()
    second = sign_in("WanFu ", remember=True, now=now).get_id()
    db.session.commit()
    assert first != second and str(user.id) not in (first, second)
    rows = {row.key_hash: row for row in db.session.scalars(select(UserSession))}
    assert set(rows) == {sessions.hash_key(first), sessions.hash_key(second)}
    assert first not in rows and second not in rows
    plain, remembered = rows[sessions.hash_key(first)], rows[sessions.hash_key(second)]
    assert plain.expires_at == now + timedelta(hours=app.config["ORGANIZER_SESSION_HOURS"])
    assert remembered.expires_at == now + timedelta(days=14)
    assert remembered.remember and not plain.remember
    assert remembered.user_agent == "test-browser"


def test_load_accepts_only_a_live_session_of_an_active_account(db, make):
    user = make.user("wanfu")
    db.session.commit()
    now = utcnow()
    key = sign_in("wanfu", now=now).get_id()
    db.session.commit()
    assert sessions.load(key, now=now) == user
    assert sessions.load(key, now=now).get_id() == key
    for bad in ("", "x" * 200, "nicht-ascii-ü", "unknown-key"):
        assert sessions.load(bad, now=now) is None
    expires = now + timedelta(hours=12)
    assert sessions.load(key, now=expires - timedelta(seconds=1)) is not None
    assert sessions.load(key, now=expires) is None  # the server's expiry, whatever the cookie
    db.session.commit()  # end the reading (its last_seen_at was written aside meanwhile)
    user.is_active = False
    db.session.commit()
    assert sessions.load(key, now=now) is None
    user.is_active = True
    services.sign_out_everywhere(user, now=now)
    db.session.commit()
    assert sessions.load(key, now=now) is None


def test_last_seen_is_written_at_most_every_few_minutes(db, make):
    make.user("wanfu")
    db.session.commit()
    now = utcnow()
    key = sign_in("wanfu", now=now).get_id()
    db.session.commit()

    def last_seen():
        db.session.commit()
        return db.session.scalar(select(UserSession.last_seen_at))

    sessions.load(key, now=now + timedelta(minutes=4))
    assert last_seen() == now
    later = now + sessions.TOUCH_INTERVAL + timedelta(seconds=1)
    sessions.load(key, now=later)
    assert last_seen() == later
    sessions.load(key, now=later + timedelta(minutes=1))
    assert last_seen() == later


def test_sign_in_forgets_the_accounts_ended_sessions(db, make):
    user = make.user("wanfu")
    db.session.commit()
    now = utcnow()
    sign_in("wanfu", now=now)
    sign_in("wanfu", now=now)
    services.sign_out_everywhere(user, now=now)
    db.session.commit()
    sign_in("wanfu", now=now + timedelta(minutes=1))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


@pytest.mark.parametrize("case", ["unknown", "disabled", "wrong", "right"])
def test_every_sign_in_checks_exactly_one_password_hash(db, make, monkeypatch, case):
    """No timing: the work is the same because the same single hash check is made."""
    user = make.user("wanfu", unit=None)
    user.is_active = case != "disabled"
    db.session.commit()
    checked = []
    real = services.check_password_hash

    def spy(stored, password):
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    username = "nobody" if case == "unknown" else "wanfu"
    password = "wrong-password" if case == "wrong" else Factory.PASSWORD
    if case == "right":
        assert sign_in(username, password) == user
    else:
        with pytest.raises(LoginError) as info:
            sign_in(username, password)
        assert info.value.code == "mismatch"
    assert len(checked) == 1
    if case in ("unknown", "disabled"):
        assert checked == [services._DUMMY_HASH]
    # the dummy hash costs what a real one costs: same method and parameters
    assert services._DUMMY_HASH.split("$")[0] == user.password_hash.split("$")[0]


def test_lockout_counts_unknown_usernames_like_real_ones_and_stores_no_name(app, db, make):
    make.user("wanfu")
    db.session.commit()
    app.config["LOGIN_LOCKOUT"] = "3 per 15 minutes"
    now = utcnow()
    for username in ("wanfu", "nobody"):
        for _ in range(3):
            with pytest.raises(LoginError) as info:
                sign_in(username, "wrong-password", now=now)
            assert info.value.code == "mismatch"
            db.session.rollback()  # what the edge does with the refused request
        with pytest.raises(LoginError) as info:
            sign_in(username.upper(), Factory.PASSWORD, now=now)
        assert info.value.code == "locked" and info.value.status == 429
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert keys == {lockout.throttle_key("wanfu"), lockout.throttle_key("nobody")}
    assert all(len(key) == 64 and "nobody" not in key for key in keys)
    # once the lock has passed, the right password gets in and the count is forgotten
    later = now + timedelta(minutes=15)
    assert sign_in("wanfu", now=later).username == "wanfu"
    db.session.commit()
    throttle = db.session.get(LoginThrottle, lockout.throttle_key("wanfu"))
    assert (throttle.failures, throttle.locked_until) == (0, None)
