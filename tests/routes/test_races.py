"""Nothing acknowledged is overwritten: every read-modify-write path, raced over HTTP.

Each test runs actors in threads (``tests/races.py``), each with its own app context,
clients and connections, on SQLite and PostgreSQL. Most hold one actor just before its
first write while the others act, which is the interleaving that breaks a read-modify-write
without a condition or a row lock; the assertions say what must hold whatever the order.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from volunteer_app.activities.models import ActivityStatus, Signup
from volunteer_app.api.models import ApiToken
from volunteer_app.api.services import create_token
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role, User
from volunteer_app.checkins import review
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn, Correction, CorrectionStatus, HoursStatus
from volunteer_app.checkins.rules import compute_minutes
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.localtime import utc_to_local
from volunteer_app.settings.models import Setting
from volunteer_app.stations.models import UnitLevel
from volunteer_app.volunteers import identity
from volunteer_app.volunteers.models import Certificate, Device, Volunteer
from volunteer_app.volunteers.session import device_signer

from ..conftest import csrf_token
from ..factories import Factory
from ..races import Race
from .test_corrections import local
from .test_identity import PIN, with_pin

# --- helpers ------------------------------------------------------------------------------


def english(client):
    """Ask for English pages, so that messages can be matched by their msgid."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def organizer(app, user):
    """A client signed in as ``user`` through the login form."""
    client = english(app.test_client())
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"username": user.username, "password": Factory.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def remembered(app, db, volunteer) -> str:
    """A remembered device of the volunteer; returns the signed cookie value for it.

    A device is remembered only for a number that has a PIN (a phone signed in with a
    one-time code must choose one first), so the volunteer's number gets one if it has none.
    """
    if volunteer.household.pin_hash is None:
        volunteer.household.pin_hash = generate_password_hash("2580")
        volunteer.household.pin_set_at = utcnow()
    device = Device(
        volunteer=volunteer, key=secrets.token_urlsafe(16), user_agent="t", created_at=utcnow()
    )
    db.session.add(device)
    db.session.flush()
    with app.test_request_context():
        return device_signer().sign(device.key).decode("ascii")


def phone(app, cookie: str):
    """A client that is the volunteer's remembered phone."""
    client = english(app.test_client())
    client.set_cookie(app.config["DEVICE_COOKIE_NAME"], cookie)
    return client


def scan_path(app, activity) -> str:
    return "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)


def entries(db, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def text_of(response) -> str:
    return response.get_data(as_text=True)


def ended(make, *, minutes_ago: int = 10, length: int = 180, **fields):
    """An activity that ended ``minutes_ago`` (within the check-out grace by default)."""
    start = (utcnow() - timedelta(minutes=length + minutes_ago)).replace(microsecond=0)
    return make.activity(starts_at=start, minutes=length, **fields)


def scan_check_out(app, path: str, cookie: str):
    """An actor: the volunteer taps 签退 on their own phone; returns the status code."""

    def run(go):
        client = phone(app, cookie)
        token = csrf_token(client, path)
        go()
        return client.post(path, data={"csrf_token": token, "action": "check_out"}).status_code

    return run


# --- closing open check-ins ----------------------------------------------------------------


def _assert_nothing_acknowledged_overwritten(db, activity, outs: dict[int, int], closed_ids):
    """Acknowledged check-outs keep their time and minutes; the closed are exactly the rest,
    each closed once and audited once."""
    assert set(outs.values()) <= {200, 409}, Counter(outs.values())
    records = {r.volunteer_id: r for r in db.session.scalars(select(CheckIn))}
    acknowledged = {v for v, status in outs.items() if status == 200}
    for volunteer_id in acknowledged:
        record = records[volunteer_id]
        assert not record.needs_review and record.checked_out_at > activity.ends_at
        assert record.minutes == compute_minutes(
            record.checked_in_at, record.checked_out_at, activity.starts_at, activity.ends_at
        )
        assert record.minutes > 0
    rest = {r.id for v, r in records.items() if v not in acknowledged}
    assert all(r.checked_out_at is not None for r in records.values())
    closed = {r.id for r in records.values() if r.needs_review}
    assert closed == rest == set(closed_ids)
    for record in records.values():
        if record.id in closed:
            assert record.checked_out_at == activity.ends_at and record.minutes == 0
    audited = [e.checkin_id for e in entries(db, "checkin.close_at_end")]
    assert sorted(audited) == sorted(closed)


def _present(app, db, make, activity, count: int, with_phones: int):
    """``count`` volunteers checked in 5 minutes after the start; cookies of the first few."""
    cookies = {}
    for i in range(count):
        volunteer = make.volunteer(name=f"志愿者{i}")
        checkins.check_in(activity, volunteer, now=activity.starts_at + timedelta(minutes=5))
        if i < with_phones:
            cookies[volunteer.id] = remembered(app, db, volunteer)
    return cookies


def test_close_open_checkins_keeps_every_check_out_it_acknowledged(app, db, make):
    """50 check-outs while "close open check-ins" runs, held after it read the open ones."""
    activity = ended(make)
    user = make.user(unit=activity.unit)
    cookies = _present(app, db, make, activity, 60, with_phones=50)
    path = scan_path(app, activity)
    race = Race(app, db)

    def close(go):
        client = organizer(app, user)
        token = csrf_token(client, f"/activities/{activity.id}")
        go()
        url = f"/activities/{activity.id}/close-checkins"
        return client.post(url, data={"csrf_token": token}).status_code

    race.actor("close", close)
    for volunteer_id, cookie in cookies.items():
        race.actor(f"out-{volunteer_id}", scan_check_out(app, path, cookie))
    results = race.run(hold="close", release_when=lambda: race.finished("out-") >= 25)

    assert results.pop("close") == 302
    outs = {int(name[4:]): status for name, status in results.items()}
    assert Counter(outs.values())[200] >= 25
    closed = [e.checkin_id for e in entries(db, "checkin.close_at_end")]
    _assert_nothing_acknowledged_overwritten(db, activity, outs, closed)


def test_the_cron_close_keeps_every_check_out_it_acknowledged(app, db, make):
    """``close_all_due`` (the command line, outside any request) racing 50 check-outs."""
    activity = ended(make)
    cookies = _present(app, db, make, activity, 60, with_phones=50)
    path = scan_path(app, activity)
    race = Race(app, db)

    def cron(go):
        go()
        # Later than the check-out grace: as a server whose clock or settings differ would.
        closed = review.close_all_due(utcnow() + timedelta(hours=3))
        db.session.commit()
        return closed

    race.actor("cron", cron)
    for volunteer_id, cookie in cookies.items():
        race.actor(f"out-{volunteer_id}", scan_check_out(app, path, cookie))
    results = race.run(hold="cron", release_when=lambda: race.finished("out-") >= 25)

    closed_count = results.pop("cron")
    outs = {int(name[4:]): status for name, status in results.items()}
    closed = [e.checkin_id for e in entries(db, "checkin.close_at_end")]
    assert closed_count == len(closed) == 60 - Counter(outs.values())[200]
    _assert_nothing_acknowledged_overwritten(db, activity, outs, closed)


def test_a_double_tapped_check_out_credits_the_hours_once(app, db, make):
    activity = ended(make)
    cookie = _present(app, db, make, activity, 1, with_phones=1).popitem()[1]
    path = scan_path(app, activity)
    race = Race(app, db)
    race.actor("first", scan_check_out(app, path, cookie))
    race.actor("second", scan_check_out(app, path, cookie))
    results = race.run(hold="first")
    assert sorted(results.values()) == [200, 409]
    (record,) = db.session.scalars(select(CheckIn))
    assert record.checked_out_at > activity.ends_at and record.minutes == 150


# --- corrections ---------------------------------------------------------------------------


def _open_correction(make, db):
    """A record left open two days ago, with the volunteer's open request to correct it."""
    volunteer = make.volunteer(name="张桂兰")
    activity = make.activity(
        starts_at=utcnow().replace(second=0, microsecond=0) - timedelta(days=2)
    )
    record = CheckIn(activity=activity, volunteer=volunteer, checked_in_at=activity.starts_at)
    db.session.add(record)
    db.session.flush()
    correction = Correction(
        checkin_id=record.id,
        volunteer_id=volunteer.id,
        proposed_out_at=activity.ends_at,
        reason="忘记签退",
        created_at=utcnow(),
        old_minutes=0,
    )
    db.session.add(correction)
    db.session.flush()
    return activity, record, correction


@pytest.mark.parametrize(
    "decisions", [("accept", "decline"), ("decline", "accept"), ("accept", "accept")]
)
def test_a_correction_is_decided_once(app, db, make, decisions):
    """Two organizers answer one request at the same moment: one decision stands, the other
    hears 409 ``already_decided``; the record changes at most once."""
    activity, record, correction = _open_correction(make, db)
    users = [make.user(unit=activity.unit), make.user(unit=activity.unit)]
    url = f"/manage/corrections/{correction.id}"
    outs = {"first": activity.ends_at, "second": activity.ends_at - timedelta(minutes=60)}
    race = Race(app, db)

    def decide(user, decision: str, checked_out_at):
        def run(go):
            client = organizer(app, user)
            token = csrf_token(client, url)
            go()
            data = {"csrf_token": token, "decision": decision, "reason": "已核实"}
            if decision == "accept":
                data.update(
                    checked_in_at=local(activity.starts_at), checked_out_at=local(checked_out_at)
                )
            return client.post(url, data=data).status_code

        return run

    race.actor("first", decide(users[0], decisions[0], outs["first"]))
    race.actor("second", decide(users[1], decisions[1], outs["second"]))
    results = race.run(hold="first")

    assert sorted(results.values()) == [302, 409], results
    winner = "first" if results["first"] == 302 else "second"
    decision = decisions[0 if winner == "first" else 1]
    correction = db.session.get(Correction, correction.id)
    record = db.session.get(CheckIn, record.id)
    accepts, declines = entries(db, "correction.accept"), entries(db, "correction.decline")
    assert len(accepts) + len(declines) == 1
    assert correction.decided_by_id == users[0 if winner == "first" else 1].id
    if decision == "accept":
        assert correction.status == CorrectionStatus.ACCEPTED and len(accepts) == 1
        assert record.checked_out_at == outs[winner]
        assert correction.new_minutes == record.minutes == accepts[0].new_value["minutes"]
    else:
        assert correction.status == CorrectionStatus.DECLINED and len(declines) == 1
        assert record.checked_out_at is None and correction.new_minutes == 0


def test_a_double_tapped_correction_request_opens_one(app, db, make):
    activity, record, correction = _open_correction(make, db)
    db.session.delete(correction)
    cookie = remembered(app, db, record.volunteer)
    url = f"/me/records/{record.id}/correction"
    race = Race(app, db)

    def ask(go):
        client = phone(app, cookie)
        token = csrf_token(client, url)
        go()
        data = {"csrf_token": token, "proposed_out": local(activity.ends_at), "reason": "忘记签退"}
        return client.post(url, data=data).status_code

    race.actor("first", ask)
    race.actor("second", ask)
    results = race.run(hold="first")
    assert sorted(results.values()) == [302, 409]
    assert db.session.scalar(select(func.count()).select_from(Correction)) == 1
    assert len(entries(db, "correction.request")) == 1


@pytest.mark.parametrize("hold", ["accept", "adjust"])
def test_an_accepted_correction_and_an_adjustment_log_what_each_replaced(app, db, make, hold):
    """Both change one record: the second audit entry's old minutes are the first's new."""
    activity, record, correction = _open_correction(make, db)
    record.checked_out_at, record.needs_review = activity.ends_at, True  # closed at the end
    users = [make.user(unit=activity.unit), make.user(unit=activity.unit)]
    race = Race(app, db)

    def accept(go):
        client = organizer(app, users[0])
        url = f"/manage/corrections/{correction.id}"
        token = csrf_token(client, url)
        go()
        data = {
            "csrf_token": token,
            "decision": "accept",
            "checked_in_at": local(activity.starts_at),
            "checked_out_at": local(activity.ends_at),
            "reason": "已核实",
        }
        return client.post(url, data=data).status_code

    def adjust(go):
        client = organizer(app, users[1])
        url = f"/activities/{activity.id}/checkins/{record.id}/adjust"
        token = csrf_token(client, url)
        go()
        data = {"csrf_token": token, "hours": "1", "reason": "核对"}
        return client.post(url, data=data).status_code

    race.actor("accept", accept)
    race.actor("adjust", adjust)
    assert race.run(hold=hold) == {"accept": 302, "adjust": 302}
    changes = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(["correction.accept", "hours.adjust"]))
        .order_by(AuditEntry.id)
    ).all()
    assert len(changes) == 2
    assert changes[1].old_value["minutes"] == changes[0].new_value["minutes"]
    assert db.session.get(CheckIn, record.id).minutes == changes[1].new_value["minutes"]


# --- hours review --------------------------------------------------------------------------


def _held(make, db, count: int = 5, *, needs_review: bool = False):
    """An activity that ended, with ``count`` checked-out records of 2 h each."""
    activity = ended(make, minutes_ago=30)
    users = [make.user(unit=activity.unit), make.user(unit=activity.unit)]
    records = []
    for i in range(count):
        record = CheckIn(
            activity=activity,
            volunteer=make.volunteer(name=f"志愿者{i}"),
            checked_in_at=activity.starts_at,
            checked_out_at=activity.starts_at + timedelta(hours=2),
            minutes=120,
            needs_review=needs_review,
        )
        db.session.add(record)
        records.append(record)
    db.session.flush()
    return activity, users, records


def _post_as(app, user, page: str, url: str, **data):
    """An actor: ``user`` posts ``data`` to ``url`` (CSRF from ``page``); returns the response."""

    def run(go):
        client = organizer(app, user)
        token = csrf_token(client, page)
        go()
        return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)

    return run


def test_two_confirmations_at_once_confirm_each_record_once(app, db, make):
    activity, users, records = _held(make, db)
    page, url = f"/activities/{activity.id}", f"/activities/{activity.id}/confirm"
    race = Race(app, db)
    race.actor("first", _post_as(app, users[0], page, url))
    race.actor("second", _post_as(app, users[1], page, url))
    results = race.run(hold="first")
    messages = [text_of(r) for r in results.values()]
    assert sum("Hours of 5 volunteers confirmed." in m for m in messages) == 1
    assert sum("There are no pending hours to confirm." in m for m in messages) == 1
    confirmed = [e.checkin_id for e in entries(db, "hours.confirm")]
    assert sorted(confirmed) == sorted(r.id for r in records)
    assert len(entries(db, "activity.status")) == 1
    assert db.session.get(type(activity), activity.id).status == ActivityStatus.FINISHED


@pytest.mark.parametrize("hold", ["confirm", "adjust"])
def test_confirmation_and_adjustment_at_once_confirm_only_what_was_seen(app, db, make, hold):
    activity, users, records = _held(make, db)
    adjusted = records[0]
    race = Race(app, db)
    page = f"/activities/{activity.id}"
    race.actor("confirm", _post_as(app, users[0], page, f"{page}/confirm"))
    url = f"{page}/checkins/{adjusted.id}/adjust"
    race.actor("adjust", _post_as(app, users[1], url, url, hours="1.5", reason="核对后更正"))
    race.run(hold=hold)
    record = db.session.get(CheckIn, adjusted.id)
    last = db.session.scalars(
        select(AuditEntry).where(AuditEntry.checkin_id == record.id).order_by(AuditEntry.id)
    ).all()[-1]
    if record.status == HoursStatus.CONFIRMED:
        assert last.action == "hours.confirm" and last.new_value["minutes"] == record.minutes
    else:
        assert last.action == "hours.adjust" and record.minutes == 90


def test_two_adjustments_at_once_log_what_each_replaced(app, db, make):
    activity, users, records = _held(make, db, 1)
    url = f"/activities/{activity.id}/checkins/{records[0].id}/adjust"
    race = Race(app, db)
    race.actor("first", _post_as(app, users[0], url, url, hours="1", reason="核对"))
    race.actor("second", _post_as(app, users[1], url, url, hours="1.5", reason="核对"))
    race.run(hold="first")
    first, second = entries(db, "hours.adjust")
    assert first.old_value["minutes"] == 120
    assert second.old_value["minutes"] == first.new_value["minutes"]
    assert db.session.get(CheckIn, records[0].id).minutes == second.new_value["minutes"]


def test_two_keeps_at_once_clear_the_mark_once(app, db, make):
    activity, users, records = _held(make, db, 1, needs_review=True)
    page = f"/activities/{activity.id}"
    url = f"{page}/checkins/{records[0].id}/keep"
    race = Race(app, db)
    race.actor("first", _post_as(app, users[0], page, url))
    race.actor("second", _post_as(app, users[1], page, url))
    race.run(hold="first")
    assert len(entries(db, "hours.review_keep")) == 1
    assert not db.session.get(CheckIn, records[0].id).needs_review


def test_hours_added_twice_at_once_make_one_record(app, db, make):
    activity, users, _records = _held(make, db, 0)
    volunteer = make.volunteer(name="王大爷", registered_unit_id=activity.unit_id)
    url = f"/activities/{activity.id}/volunteers/{volunteer.id}/add-hours"
    race = Race(app, db)
    race.actor("first", _post_as(app, users[0], url, url, hours="2", reason="没有手机"))
    race.actor("second", _post_as(app, users[1], url, url, hours="2", reason="没有手机"))
    results = race.run(hold="first")
    assert sorted(r.status_code for r in results.values()) == [200, 400]
    refused = [r for r in results.values() if r.status_code == 400]
    assert "already has a record here" in text_of(refused[0])
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert len(entries(db, "hours.add")) == 1


# --- activities: sign-ups and status -------------------------------------------------------


def test_two_sign_ups_for_the_last_place(app, db, make):
    activity = make.activity(starts_at=utcnow() + timedelta(days=1), capacity=2)
    db.session.add(Signup(activity=activity, volunteer=make.volunteer(), created_at=utcnow()))
    cookies = [remembered(app, db, make.volunteer()) for _ in range(2)]
    page, url = f"/discover/{activity.id}", f"/discover/{activity.id}/sign-up"
    race = Race(app, db)

    def sign_up(cookie):
        def run(go):
            client = phone(app, cookie)
            token = csrf_token(client, page)
            go()
            return text_of(client.post(url, data={"csrf_token": token}, follow_redirects=True))

        return run

    race.actor("first", sign_up(cookies[0]))
    race.actor("second", sign_up(cookies[1]))
    results = race.run(hold="first")
    assert sum("You have signed up." in page for page in results.values()) == 1
    assert sum("This activity is full." in page for page in results.values()) == 1
    assert signups_active(db) == 2


def signups_active(db) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Signup).where(Signup.cancelled_at.is_(None))
    )


def test_a_sign_up_cancelled_twice_at_once_keeps_the_first_time(app, db, make):
    activity = make.activity(starts_at=utcnow() + timedelta(days=1))
    volunteer = make.volunteer()
    db.session.add(Signup(activity=activity, volunteer=volunteer, created_at=utcnow()))
    cookie = remembered(app, db, volunteer)
    page, url = f"/discover/{activity.id}", f"/discover/{activity.id}/cancel"
    race = Race(app, db)

    def cancel(go):
        client = phone(app, cookie)
        token = csrf_token(client, page)
        go()
        return text_of(client.post(url, data={"csrf_token": token}, follow_redirects=True))

    race.actor("first", cancel)
    race.actor("second", cancel)
    results = race.run(hold="first")
    assert "You have not signed up for this activity." in results["first"]
    assert "Your sign-up has been cancelled." in results["second"]
    (signup,) = db.session.scalars(select(Signup))
    assert signup.cancelled_at > race.arrived_at  # the second's, not the held first's


@pytest.mark.parametrize("target", ["cancelled", "draft"])
@pytest.mark.parametrize("hold", ["change", "check_in"])
def test_cancelling_and_a_check_in_at_once_are_never_both_accepted(app, db, make, target, hold):
    """ "Only while nobody has checked in": a check-in arriving meanwhile is either refused,
    or counted and the change refused."""
    activity = make.activity()
    user = make.user(unit=activity.unit)
    cookie = remembered(app, db, make.volunteer())
    path = scan_path(app, activity)
    race = Race(app, db)

    def check_in(go):
        client = phone(app, cookie)
        token = csrf_token(client, path)
        go()
        response = client.post(path, data={"csrf_token": token, "action": "check_in"})
        return response.status_code, text_of(response)

    page = f"/activities/{activity.id}"
    race.actor("check_in", check_in)
    race.actor("change", _post_as(app, user, page, f"{page}/status", target=target))
    results = race.run(hold=hold)

    status, html = results["check_in"]
    changed = text_of(results["change"])
    records = db.session.scalar(select(func.count()).select_from(CheckIn))
    activity = db.session.get(type(activity), activity.id)
    if records:
        assert status == 200 and activity.status == ActivityStatus.PUBLISHED
        assert "Volunteers have already checked in" in changed
        assert not entries(db, "activity.status")
    else:
        assert activity.status == ActivityStatus(target) and status == 409
        refusal = {
            "cancelled": "This activity has been cancelled.",
            "draft": "This activity has not been published yet.",
        }[target]
        assert refusal in html
        assert len(entries(db, "activity.status")) == 1


@pytest.mark.parametrize("hold", ["edit", "confirm"])
def test_an_edit_and_a_confirmation_at_once_never_finish_an_activity_still_to_come(
    app, db, make, hold
):
    """Moving an ended activity to next week while its hours are confirmed: either the edit
    is refused (finished activities are locked) or the confirmation (not ended yet)."""
    activity, users, _records = _held(make, db)
    page = f"/activities/{activity.id}"
    next_week = activity.starts_at + timedelta(days=7)
    data = {
        "title": activity.title,
        "category_id": activity.category_id,
        "unit_id": activity.unit_id,
        "place": activity.place,
        "starts_at": local(next_week),
        "ends_at": local(next_week + timedelta(hours=3)),
        "description": "",
        "rotate_seconds": "30",
        "allow_static_code": "y",
    }
    race = Race(app, db)
    race.actor("edit", _post_as(app, users[0], f"{page}/edit", f"{page}/edit", **data))
    race.actor("confirm", _post_as(app, users[1], page, f"{page}/confirm"))
    results = race.run(hold=hold)
    activity = db.session.get(type(activity), activity.id)
    if activity.status == ActivityStatus.FINISHED:
        assert activity.ends_at < utcnow()
        assert "A finished or cancelled activity can no longer be edited." in text_of(
            results["edit"]
        )
    else:
        assert activity.starts_at == next_week.replace(second=0)
        assert "This can only be done after the activity has ended." in text_of(results["confirm"])
        assert not entries(db, "hours.confirm")


def test_publishing_twice_at_once_changes_the_status_once(app, db, make):
    activity = make.activity(status=ActivityStatus.DRAFT)
    users = [make.user(unit=activity.unit), make.user(unit=activity.unit)]
    page = f"/activities/{activity.id}"
    race = Race(app, db)
    race.actor("first", _post_as(app, users[0], page, f"{page}/status", target="published"))
    race.actor("second", _post_as(app, users[1], page, f"{page}/status", target="published"))
    results = race.run(hold="first")
    pages = {name: text_of(response) for name, response in results.items()}
    refused = [n for n, page in pages.items() if "This change of status is not possible." in page]
    changed = [n for n, page in pages.items() if "Status changed to" in page]
    assert len(refused) == len(changed) == 1
    (entry,) = entries(db, "activity.status")
    assert entry.actor_user_id == users[0 if changed == ["first"] else 1].id


# --- identity, devices, tokens, accounts, settings, deletion, certificates ----------------


def test_one_time_code_used_by_two_devices_at_once_signs_in_one(app, db, make):
    volunteer = with_pin(make.volunteer(phone="13800001002"))
    issuer = make.user()
    code = identity.issue_setup_code(volunteer, organizer_id=issuer.id, now=utcnow())
    race = Race(app, db)

    def sign_in(go):
        client = english(app.test_client())
        token = csrf_token(client, "/me/sign-in")
        go()
        data = {"csrf_token": token, "phone": "13800001002", "pin": code}
        return client.post("/me/sign-in", data=data).status_code

    race.actor("first", sign_in)
    race.actor("second", sign_in)
    results = race.run(hold="first")
    assert results == {"first": 401, "second": 302}
    assert db.session.scalar(select(func.count()).select_from(Device)) == 1
    assert len(entries(db, "volunteer.setup_code_used")) == 1
    assert db.session.get(Volunteer, volunteer.id).household.setup_code_hash is None


def test_a_device_signed_out_twice_at_once_is_audited_once(app, db, make):
    volunteer = make.volunteer()
    cookie = remembered(app, db, volunteer)
    remembered(app, db, volunteer)
    other = db.session.scalars(select(Device).order_by(Device.id.desc())).first()
    race = Race(app, db)

    def sign_out(go):
        client = phone(app, cookie)
        token = csrf_token(client, "/me")
        go()
        url = f"/me/devices/{other.id}/sign-out"
        return client.post(url, data={"csrf_token": token}).status_code

    race.actor("first", sign_out)
    race.actor("second", sign_out)
    assert race.run(hold="first") == {"first": 302, "second": 302}
    assert len(entries(db, "volunteer.device_signed_out")) == 1
    assert db.session.get(Device, other.id).revoked_at > race.arrived_at  # the second's time


def test_an_api_token_revoked_twice_at_once_keeps_the_first_time(app, db, make):
    user = make.user()
    token, _raw = create_token(user, "扫码枪", now=utcnow())
    race = Race(app, db)

    def revoke(go):
        client = organizer(app, user)
        csrf = csrf_token(client, "/account/api-tokens")
        go()
        url = f"/account/api-tokens/{token.id}/revoke"
        return client.post(url, data={"csrf_token": csrf}).status_code

    race.actor("first", revoke)
    race.actor("second", revoke)
    assert race.run(hold="first") == {"first": 302, "second": 302}
    revoked_at = db.session.get(ApiToken, token.id).revoked_at
    assert revoked_at > race.arrived_at  # the second's time: the held first changed nothing


def test_an_account_disabled_twice_at_once_is_audited_once(app, db, make):
    centre = make.unit(level=UnitLevel.CENTRE)
    target = make.user(unit=make.unit(parent=centre))
    admins = [make.user(role=Role.CENTRE_ORGANIZER, unit=centre) for _ in range(2)]
    url = f"/accounts/{target.id}/active"
    race = Race(app, db)
    race.actor("first", _post_as(app, admins[0], "/accounts", url, active="0"))
    race.actor("second", _post_as(app, admins[1], "/accounts", url, active="0"))
    race.run(hold="first")
    (entry,) = entries(db, "account.disable")
    assert entry.actor_user_id == admins[1].id
    assert db.session.get(User, target.id).is_active is False


@pytest.mark.parametrize("stored", [False, True])
def test_a_setting_changed_twice_at_once_logs_what_each_replaced(app, db, make, stored):
    admins = [make.user(role=Role.DISTRICT_ADMIN) for _ in range(2)]
    if stored:
        db.session.add(Setting(key="star_preset", value="national", updated_at=utcnow()))
    race = Race(app, db)
    race.actor(
        "first", _post_as(app, admins[0], "/manage/stars", "/manage/stars", preset="beijing")
    )
    race.actor(
        "second", _post_as(app, admins[1], "/manage/stars", "/manage/stars", preset="zhangjiagang")
    )
    results = race.run(hold="first")
    assert all(r.status_code == 200 for r in results.values())
    first, second = entries(db, "settings.star_preset")
    assert first.old_value == {"preset": "national" if stored else None}
    assert second.old_value == first.new_value
    assert db.session.get(Setting, "star_preset").value == second.new_value["preset"]


def test_an_account_deleted_twice_at_once_is_erased_and_audited_once(app, db, make):
    volunteer = with_pin(make.volunteer(name="李秀英"))
    cookie = remembered(app, db, volunteer)
    race = Race(app, db)

    def delete(go):
        client = phone(app, cookie)
        token = csrf_token(client, "/me/delete")
        go()
        data = {"csrf_token": token, "confirm": "y", "pin": PIN}
        return client.post("/me/delete", data=data).status_code

    race.actor("first", delete)
    race.actor("second", delete)
    assert race.run(hold="first") == {"first": 302, "second": 302}
    assert len(entries(db, "volunteer.deleted")) == 1
    assert db.session.get(Volunteer, volunteer.id).deleted_at is not None


def test_certificates_issued_at_the_same_moment_get_their_own_numbers(app, db, make, monkeypatch):
    """Numbers come from the certificate's id; the placeholder before it never outlives its
    transaction, so two issues at the very same instant both succeed."""
    activity = ended(make, minutes_ago=60 * 24)
    volunteer = make.volunteer()
    db.session.add(
        CheckIn(
            activity=activity,
            volunteer=volunteer,
            checked_in_at=activity.starts_at,
            checked_out_at=activity.ends_at,
            minutes=180,
            status=HoursStatus.CONFIRMED,
        )
    )
    cookie = remembered(app, db, volunteer)
    instant = utcnow()
    monkeypatch.setattr("volunteer_app.volunteers.routes.utcnow", lambda: instant)
    race = Race(app, db)

    def issue(go):
        client = phone(app, cookie)
        token = csrf_token(client, "/me/certificates")
        go()
        today = utc_to_local(instant).date()
        data = {
            "csrf_token": token,
            "start": (today - timedelta(days=30)).isoformat(),
            "end": today.isoformat(),
        }
        return client.post("/me/certificates", data=data).status_code

    race.actor("first", issue)
    race.actor("second", issue)
    assert race.run(hold="first") == {"first": 302, "second": 302}
    numbers = db.session.scalars(select(Certificate.number)).all()
    assert len(set(numbers)) == 2 and all(n.startswith("ZYZM-") for n in numbers)
