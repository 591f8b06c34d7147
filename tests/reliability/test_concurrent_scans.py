"""Bursts against a real gunicorn (4 workers): nothing lost, nothing doubled, no 5xx.

Runs on SQLite (WAL) and PostgreSQL; two servers share one PostgreSQL (the scale-out path);
a SIGKILL in the middle of a burst loses no acknowledged check-in.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from bench.harness import SECRET, Phone, gunicorn
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow

from ..conftest import migrate_database, throwaway_postgres

pytestmark = pytest.mark.slow
VOLUNTEERS = 100
#: The check-in key of the activity the fixture inserts (its QR code carries it).
CHECKIN_KEY = "reliabilityKey00"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A fresh migrated database with one station and one activity running now."""
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'burst.sqlite3'}"
        migrate_database(uri)
        yield _arrange(uri)
    else:
        with throwaway_postgres() as uri:
            yield _arrange(uri)


def _arrange(uri: str) -> tuple[str, str]:
    """Insert a unit, a category and a running activity; return (uri, check-in path)."""
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    starts = (utcnow() - timedelta(minutes=10)).replace(tzinfo=None, microsecond=0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO units (name, level, created_at) "
                "VALUES ('万福社区卫生服务中心', 'station', :now)"
            ),
            {"now": starts},
        )
        conn.execute(
            text(
                "INSERT INTO categories (code, name_zh, name_en, sort_order) "
                "VALUES ('health', '健康服务', 'Health', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO activities (unit_id, category_id, title, place, description, "
                "starts_at, ends_at, status, created_at, checkin_key) VALUES (1, 1, '学雷锋义诊', "
                "'广场', '', :starts, :ends, 'published', :starts, :key)"
            ),
            {"starts": starts, "ends": starts + timedelta(hours=3), "key": CHECKIN_KEY},
        )
    engine.dispose()
    return uri, "/c/" + issue_token(SECRET, CHECKIN_KEY)


def records(uri: str) -> list[CheckIn]:
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as session:
        rows = list(session.scalars(select(CheckIn)))
        session.expunge_all()
    engine.dispose()
    return rows


def burst(jobs, workers: int = 50) -> list:
    """Run the callables together, released at once; return their results."""
    start = threading.Barrier(min(workers, len(jobs)))

    def run(job):
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=10)
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [f.result() for f in as_completed([pool.submit(run, j) for j in jobs])]


def phone_number(i: int) -> str:
    return f"1370000{i:04d}"


def test_200_concurrent_check_ins_make_exactly_100_records(database):
    uri, path = database
    with gunicorn(uri, workers=4) as server:
        phones = [(Phone(server.port), i) for i in range(VOLUNTEERS) for _ in range(2)]
        results = burst(
            [
                (
                    lambda p=p, i=i: (
                        p,
                        i,
                        *p.scan(
                            path, name=f"志愿者{i}", phone=phone_number(i), pin="2580", consent="y"
                        ),
                    )
                )
                for p, i in phones
            ]
        )
        # Both phones proved the PIN: both are remembered (200), one checked in, the other
        # hears that the person is in already.
        statuses = Counter(status for _, _, status, _ in results)
        assert statuses == {200: 2 * VOLUNTEERS}, statuses
        said = Counter("签到成功" if "签到成功" in html else "您已签到" for *_, html in results)
        assert said == {"签到成功": VOLUNTEERS, "您已签到": VOLUNTEERS}, said
        rows = records(uri)
        assert len(rows) == VOLUNTEERS
        assert len({r.volunteer_id for r in rows}) == VOLUNTEERS

        # Each volunteer double-taps 签退 (confirmed: a moment after check-in it asks first,
        # tests/routes/test_checkin_loop.py) on the phone that checked in.
        winners = [p for p, _, _, html in results if "签到成功" in html]
        forms = [(p, p.open_form(path) | {"confirmed": "1"}) for p in winners]
        assert all(form["action"] == "check_out" for _, form in forms)
        outs = burst([lambda p=p, f=f: p.submit(path, f) for p, f in forms for _ in range(2)])
        statuses = Counter(status for status, _ in outs)
        assert statuses == {200: VOLUNTEERS, 409: VOLUNTEERS}, statuses
        rows = records(uri)
        assert len(rows) == VOLUNTEERS and all(r.checked_out_at for r in rows)


def test_two_servers_share_one_postgresql(tmp_path):
    with throwaway_postgres() as raw_uri:
        uri, path = _arrange(raw_uri)
        with gunicorn(uri, workers=2) as first, gunicorn(uri, workers=2) as second:
            jobs = []
            for i in range(VOLUNTEERS):
                for server in (first, second):  # each volunteer hits both hosts at once
                    phone = Phone(server.port)
                    jobs.append(
                        lambda p=phone, i=i: p.scan(
                            path, name=f"志愿者{i}", phone=phone_number(i), pin="2580", consent="y"
                        )
                    )
            answers = burst(jobs)
            statuses = Counter(status for status, _ in answers)
            assert statuses == {200: 2 * VOLUNTEERS}, statuses  # both phones remembered
            assert sum("签到成功" in html for _, html in answers) == VOLUNTEERS
        assert len(records(uri)) == VOLUNTEERS


def test_sigkill_during_a_burst_loses_no_acknowledged_check_in(database):
    uri, path = database
    acknowledged: list[str] = []
    lock = threading.Lock()
    with gunicorn(uri, workers=4) as server:

        def one(i: int):
            try:
                status, _ = Phone(server.port).scan(
                    path, name=f"志愿者{i}", phone=phone_number(i), pin="2580", consent="y"
                )
            except (OSError, http.client.HTTPException):
                return None  # the server died under this request (or mid-answer): not acknowledged
            if status == 200:
                with lock:
                    acknowledged.append(phone_number(i))
                    if len(acknowledged) == 40:
                        server.kill()
            return status

        results = burst([lambda i=i: one(i) for i in range(VOLUNTEERS * 2)], workers=32)
        assert server.process.poll() is not None, "the server was killed mid-burst"
    assert 40 <= len(acknowledged) < VOLUNTEERS * 2
    assert not any(r is not None and r >= 500 for r in results)
    with gunicorn(uri, workers=1):  # restarts cleanly on the same database
        pass
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = set(
            conn.scalars(
                text(
                    "SELECT h.phone FROM checkins c JOIN volunteers v ON v.id = c.volunteer_id "
                    "JOIN households h ON h.id = v.household_id"
                )
            )
        )
        count = conn.scalar(select(func.count()).select_from(text("checkins")))
    engine.dispose()
    assert set(acknowledged) <= stored
    assert count == len(stored)


def _arrange_held_activity(uri: str, records: int) -> dict:
    """An activity that ended, with checked-out records, and its organizer (password 'x' * 10)."""
    from werkzeug.security import generate_password_hash

    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    ends = (utcnow() - timedelta(minutes=30)).replace(tzinfo=None, microsecond=0)
    starts = ends - timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO units (name, level, created_at) VALUES ('吕陵小学', 'station', :t)"),
            {"t": starts},
        )
        conn.execute(
            text(
                "INSERT INTO categories (code, name_zh, name_en, sort_order) "
                "VALUES ('education', '教育关爱', 'Education', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, unit_id, "
                "is_active, created_at) VALUES ('lvxiao', '吕陵小学', :h, "
                "'station_organizer', 1, true, :t)"
            ),
            {"h": generate_password_hash("x" * 10), "t": starts},
        )
        conn.execute(
            text(
                "INSERT INTO activities (unit_id, category_id, title, place, description, "
                "starts_at, ends_at, status, created_at, rotate_seconds, allow_static_code) "
                "VALUES (1, 1, '主题教育', '校园', '', :s, :e, 'published', :s, 30, true)"
            ),
            {"s": starts, "e": ends},
        )
        for i in range(records):
            conn.execute(
                text("INSERT INTO households (id, phone, created_at) VALUES (:i, :p, :t)"),
                {"i": i + 1, "p": phone_number(i), "t": starts},
            )
            conn.execute(
                text(
                    "INSERT INTO volunteers (household_id, name, consent_version, consented_at, "
                    "created_at) VALUES (:i, :n, 'test', :t, :t)"
                ),
                {"i": i + 1, "n": f"志愿者{i}", "t": starts},
            )
            conn.execute(
                text(
                    "INSERT INTO checkins (activity_id, volunteer_id, checked_in_at, "
                    "checked_out_at, minutes, origin, status, needs_review) VALUES "
                    "(1, :v, :s, :e, 60, 'scan', 'pending', false)"
                ),
                {"v": i + 1, "s": starts, "e": starts + timedelta(hours=1)},
            )
    engine.dispose()
    return {"activity": 1, "records": list(range(1, records + 1))}


def test_confirmation_racing_adjustments_confirms_only_what_it_saw(database):
    """Confirm-all and 30 hour adjustments at once: confirmed always means these minutes."""
    uri, _ = database
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:  # the fixture's arrangement is not needed here
        for table in ("checkins", "activity_stats", "activities", "categories", "units"):
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()
    if uri.startswith("postgresql"):
        engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            for table in ("units", "categories", "activities"):
                conn.execute(text(f"ALTER SEQUENCE {table}_id_seq RESTART WITH 1"))
        engine.dispose()
    held = _arrange_held_activity(uri, 30)
    with gunicorn(uri, workers=4) as server:
        organizer = Phone(server.port)
        _, _, page = organizer.request("GET", "/login")
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        status, _, _ = organizer.request(
            "POST", "/login", {"csrf_token": token, "username": "lvxiao", "password": "x" * 10}
        )
        assert status == 302
        base = f"/activities/{held['activity']}"
        jobs = [lambda: organizer.request("POST", f"{base}/confirm", {"csrf_token": token})]
        jobs += [
            (
                lambda c=c: organizer.request(
                    "POST",
                    f"{base}/checkins/{c}/adjust",
                    {"csrf_token": token, "hours": "1.5", "reason": "核对后更正"},
                )
            )
            for c in held["records"]
        ]
        results = burst(jobs, workers=31)
        assert all(status < 500 for status, _, _ in results), [s for s, _, _ in results]
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, minutes, status FROM checkins")).all()
        entries = conn.execute(
            text(
                "SELECT checkin_id, action, new_value FROM audit_entries "
                "WHERE checkin_id IS NOT NULL ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert len(rows) == 30
    for record_id, minutes, status in rows:
        history = [
            (a, v if isinstance(v, dict) else json.loads(v))
            for c, a, v in entries
            if c == record_id
        ]
        assert history, record_id
        last_action, last_value = history[-1]
        if status == "confirmed":  # confirmed after the last change, with today's minutes
            assert last_action == "hours.confirm" and last_value["minutes"] == minutes
        else:
            assert last_action == "hours.adjust" and minutes == 90
