"""The rules of background jobs, as pure functions: limits, time left, staleness, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from volunteer_app.jobs.models import ACTIVE, JobStatus


def within_limit(active_jobs: int, limit: int) -> bool:
    """Whether a user with ``active_jobs`` queued or running may start one more."""
    return active_jobs < limit


def percent(rows_done: int, rows_total: int) -> int:
    """Progress in whole percent (0–100); a job of no rows is complete when it is done."""
    if rows_total <= 0:
        return 0
    return max(0, min(100, rows_done * 100 // rows_total))


def seconds_left(
    rows_done: int, rows_total: int, started_at: datetime | None, now: datetime
) -> int | None:
    """Time left at the pace so far, in whole seconds; None before the first rows are done."""
    if started_at is None or rows_done <= 0:
        return None
    if rows_done >= rows_total:
        return 0
    elapsed = max(0.0, (now - started_at).total_seconds())
    return round(elapsed / rows_done * (rows_total - rows_done))


def is_stale(
    status: JobStatus, heartbeat_at: datetime | None, now: datetime, stale_after: timedelta
) -> bool:
    """Whether a running job's worker has stopped: no sign of life for ``stale_after``."""
    return status == JobStatus.RUNNING and (
        heartbeat_at is None or now - heartbeat_at > stale_after
    )


def is_expired(status: JobStatus, expires_at: datetime | None, now: datetime) -> bool:
    """Whether a finished job's file is past its keeping time."""
    return status == JobStatus.DONE and expires_at is not None and expires_at <= now


def may_cancel(status: JobStatus) -> bool:
    """Only a queued or running job can be cancelled."""
    return status in ACTIVE


def is_finished(status: JobStatus) -> bool:
    """Whether the job has reached one of its ends (the page stops polling)."""
    return status not in ACTIVE
