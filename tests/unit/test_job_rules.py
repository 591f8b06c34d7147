"""The rules of background jobs: the per-user limit, progress, time left, staleness, expiry."""

from datetime import UTC, datetime, timedelta

from volunteer_app.jobs import rules
from volunteer_app.jobs.models import JobStatus

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_a_user_may_have_k_jobs_at_once():
    assert rules.within_limit(2, 3) and not rules.within_limit(3, 3)


def test_percent_is_whole_and_bounded():
    assert rules.percent(0, 0) == 0
    assert rules.percent(1, 3) == 33
    assert rules.percent(5, 3) == 100


def test_time_left_follows_the_pace_so_far():
    started = NOW - timedelta(seconds=30)
    assert rules.seconds_left(0, 100, started, NOW) is None
    assert rules.seconds_left(10, 100, None, NOW) is None
    assert rules.seconds_left(25, 100, started, NOW) == 90
    assert rules.seconds_left(100, 100, started, NOW) == 0


def test_a_running_job_without_news_is_stale():
    five = timedelta(minutes=5)
    assert rules.is_stale(JobStatus.RUNNING, NOW - timedelta(minutes=6), NOW, five)
    assert rules.is_stale(JobStatus.RUNNING, None, NOW, five)
    assert not rules.is_stale(JobStatus.RUNNING, NOW - timedelta(minutes=4), NOW, five)
    assert not rules.is_stale(JobStatus.QUEUED, None, NOW, five)


def test_only_done_jobs_expire_and_only_active_ones_cancel():
    assert rules.is_expired(JobStatus.DONE, NOW, NOW)
    assert not rules.is_expired(JobStatus.DONE, NOW + timedelta(seconds=1), NOW)
    assert not rules.is_expired(JobStatus.FAILED, NOW, NOW)
    assert rules.may_cancel(JobStatus.QUEUED) and rules.may_cancel(JobStatus.RUNNING)
    assert not rules.may_cancel(JobStatus.DONE)
    assert rules.is_finished(JobStatus.CANCELLED) and not rules.is_finished(JobStatus.RUNNING)
