"""One person's time never overlaps itself, even when two of their records are written at
the same moment (tests/races.py: threads, one actor held just before its first write)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from sqlalchemy import select

from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.rules import overlaps
from volunteer_app.database import utcnow

from ..conftest import csrf_token
from ..races import Race
from .test_races import phone, remembered, scan_path


def scan_check_in(app, path: str, cookie: str):
    """An actor: the volunteer taps 签到 on a remembered phone; returns the status code."""

    def run(go):
        client = phone(app, cookie)
        token = csrf_token(client, path)
        go()
        return client.post(path, data={"csrf_token": token, "action": "check_in"}).status_code

    return run


def test_check_ins_at_two_activities_at_once_leave_one_stay_open(app, db, make):
    start = (utcnow() - timedelta(minutes=30)).replace(microsecond=0)
    a = make.activity(title="测血压", starts_at=start)
    b = make.activity(title="清扫街道", starts_at=start)
    volunteer = make.volunteer()
    first, second = remembered(app, db, volunteer), remembered(app, db, volunteer)
    db.session.commit()
    race = Race(app, db)
    race.actor("a", scan_check_in(app, scan_path(app, a), first))
    race.actor("b", scan_check_in(app, scan_path(app, b), second))
    results = race.run(hold="a")
    # Whichever order the database settled: the second either closed the first stay at its
    # own check-in time, or (its time read before it waited, so earlier than the first's
    # check-in) was refused as an overlap. Never two stays sharing time.
    assert sorted(results.values()) in ([200, 200], [200, 409])
    db.session.expire_all()
    records = list(db.session.scalars(select(CheckIn).order_by(CheckIn.checked_in_at)))
    assert len(records) == list(results.values()).count(200)
    assert [r.checked_out_at is None for r in records].count(True) == 1
    for earlier, later in pairwise(records):
        assert earlier.checked_out_at == later.checked_in_at
        assert not overlaps(
            earlier.checked_in_at, earlier.checked_out_at, later.checked_in_at, None
        )
