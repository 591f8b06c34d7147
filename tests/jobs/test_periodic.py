"""Periodic tasks without cron: when each is due, and what each does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from volunteer_app.checkins import services
from volunteer_app.database import utcnow
from volunteer_app.jobs import periodic
from volunteer_app.jobs.queue import huey


def _due_at(moment: datetime) -> set[str]:
    return {task.name for task in huey.read_periodic(moment)}


def test_the_consumer_knows_both_periodic_tasks_and_when_they_are_due(app):
    assert _due_at(datetime(2026, 12, 2, 8, 5, tzinfo=UTC)) == {"close-checkins", "sweep-jobs"}
    assert _due_at(datetime(2026, 12, 2, 8, 6, tzinfo=UTC)) == {"sweep-jobs"}


def test_forgotten_checkouts_are_closed_after_their_grace(app, make, db):
    start = (utcnow() - timedelta(hours=6)).replace(microsecond=0)
    ended = make.activity(starts_at=start, minutes=180)  # ended 3 h ago: past the 2 h grace
    recent = make.activity(starts_at=start + timedelta(hours=2), minutes=180)  # ended 1 h ago
    left_open = services.check_in(ended, make.volunteer("王芳"), now=start)
    still_in_grace = services.check_in(recent, make.volunteer("张伟"), now=recent.starts_at)
    db.session.commit()
    periodic.close_checkins_task()  # as the consumer runs it (immediate in tests)
    db.session.expire_all()
    assert left_open.checked_out_at == ended.ends_at and left_open.minutes == 0
    assert left_open.needs_review
    assert still_in_grace.checked_out_at is None
    assert periodic.close_forgotten_checkouts() == 0  # nothing more is due


def test_the_sweep_runs_as_a_periodic_task(app, db):
    periodic.sweep_jobs_task()  # nothing to do is fine
    assert periodic.sweep_jobs() == (0, 0)
