"""Background jobs' life: created by a request, moved along by the worker, swept periodically.

A request creates the row (``create``, within its transaction) and enqueues the task once
that has committed. The worker reports through small transactions of their own
(``start``, ``progress``, ``finish``, ``fail``, ``mark_cancelled``: single UPDATE
statements), so the progress page sees each chunk while the export's own read goes on.
``sweep`` (a periodic task) marks running jobs whose worker went silent as failed and
deletes the files of expired ones.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from volunteer_app.auth.models import User
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.jobs import rules
from volunteer_app.jobs.models import ACTIVE, Job, JobStatus
from volunteer_app.transactions import side_transaction

log = logging.getLogger(__name__)


class JobError(DomainError):
    """A job could not be started or changed."""

    status = 409
    messages = {
        "too_many": _l(
            "You already have %(limit)s exports or imports in progress. Wait for one to finish, "
            "or cancel one, then try again."
        ),
        "not_cancellable": _l("This job has already finished."),
    }

    def __init__(self, code: str, limit: int = 0) -> None:
        super().__init__(code, status=429 if code == "too_many" else None)
        self.limit = limit

    @property
    def message(self) -> str:
        """The message, with the user's limit where it names one."""
        return str(self.messages[self.code]) % {"limit": self.limit}


#: Why a job failed, as the page says it (the code is stored, the words are the user's).
FAILURES = {
    "worker_stopped": _l("The worker preparing it stopped. Please start the export again."),
    "export_failed": _l("The file could not be prepared. Please try again."),
    "scope_lost": _l("You may no longer export this unit's data."),
    "import_worker_stopped": _l(
        "The worker applying it stopped. The rows counted below were imported; upload the "
        "file again to import the rest (rows already imported are not added twice)."
    ),
    "import_failed": _l(
        "The import stopped because of an error. The rows counted below were imported; "
        "upload the file again to import the rest (rows already imported are not added twice)."
    ),
    "import_scope_lost": _l(
        "You may no longer import into one of this file's stations. The rows counted below "
        "were imported; nothing else was."
    ),
    "import_units_changed": _l(
        "A unit of this file was archived or added since the check. The rows counted below "
        "were imported; upload the file again for the rest."
    ),
    "import_input_lost": _l(
        "The checked rows of this import could not be read. Please upload the file again."
    ),
}

#: The kinds of the import jobs (``Job.kind``); they keep their outcome in ``Job.result``.
IMPORT_KINDS = ("volunteer_import", "unit_import")

#: How an import job's status is shown where an export's label would not fit.
IMPORT_STATUS_LABELS = {
    JobStatus.RUNNING: _l("Importing"),
    JobStatus.DONE: _l("Imported"),
}

#: How each status is shown.
STATUS_LABELS = {
    JobStatus.QUEUED: _l("Waiting to start"),
    JobStatus.RUNNING: _l("In preparation"),
    JobStatus.DONE: _l("Ready to download"),
    JobStatus.FAILED: _l("Failed"),
    JobStatus.CANCELLED: _l("Cancelled"),
    JobStatus.EXPIRED: _l("Expired (file deleted)"),
}


def is_import(job: Job) -> bool:
    """Whether the job is an import (an outcome summary, no file)."""
    return job.kind in IMPORT_KINDS


def status_label(job: Job) -> str:
    """How the job's status is shown, in the current language."""
    if is_import(job) and job.status in IMPORT_STATUS_LABELS:
        return str(IMPORT_STATUS_LABELS[job.status])
    return str(STATUS_LABELS[job.status])


def failure_message(code: str | None, *, of_import: bool = False) -> str:
    """The translated reason for a failure code (a generic one for codes unknown here);
    ``of_import``: the job is an import (the sweep's "worker_stopped" is said for it)."""
    if of_import:
        code = "import_worker_stopped" if code == "worker_stopped" else code
        return str(FAILURES.get(code or "", FAILURES["import_failed"]))
    return str(FAILURES.get(code or "", FAILURES["export_failed"]))


def result_dir(app: Flask) -> Path:
    """Where finished files are kept (``JOB_RESULT_DIR``, default ``instance/jobs``)."""
    path = Path(app.config.get("JOB_RESULT_DIR") or Path(app.instance_path) / "jobs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def active_count(owner_id: int) -> int:
    """The user's queued and running jobs."""
    return db.session.scalar(
        select(func.count(Job.id)).where(Job.owner_id == owner_id, Job.status.in_(ACTIVE))
    )


def create(owner: User, kind: str, unit_id: int, params: dict, *, limit: int, now: datetime) -> Job:
    """A queued job of ``owner`` (flushed), or JobError("too_many") past their limit."""
    # One user's concurrent requests queue on their row (PostgreSQL; SQLite's write lock
    # already serialises them), so two clicks cannot both pass the limit.
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    if not rules.within_limit(active_count(owner.id), limit):
        raise JobError("too_many", limit=limit)
    job = Job(kind=kind, owner_id=owner.id, unit_id=unit_id, params=params, created_at=now)
    db.session.add(job)
    db.session.flush()
    return job


def user_jobs(owner_id: int, limit: int = 50) -> list[Job]:
    """The user's own jobs, newest first."""
    return list(
        db.session.scalars(
            select(Job)
            .where(Job.owner_id == owner_id)
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )


def request_cancel(job: Job, *, now: datetime) -> None:
    """Cancel a queued job at once; ask a running one to stop at its next chunk."""
    if not rules.may_cancel(job.status):
        raise JobError("not_cancellable")
    if job.status == JobStatus.QUEUED:
        job.status = JobStatus.CANCELLED
        job.finished_at = now
    else:
        job.cancel_requested = True
    db.session.flush()


# --- the worker's reports: one small transaction each ----------------------------------


def _write(statement) -> int:
    """Run one UPDATE in a transaction of its own; the number of rows it changed."""
    with side_transaction(write=True) as connection:
        return connection.execute(statement).rowcount


def start(job_id: int, rows_total: int, *, now: datetime) -> bool:
    """Mark a queued job running; False when it is no longer queued (cancelled meanwhile)."""
    return bool(
        _write(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                rows_total=rows_total,
                rows_done=0,
                started_at=now,
                heartbeat_at=now,
            )
        )
    )


def progress(job_id: int, rows_done: int, *, now: datetime) -> bool:
    """Record the rows done (and that the worker lives); True when the owner cancelled."""
    _write(update(Job).where(Job.id == job_id).values(rows_done=rows_done, heartbeat_at=now))
    with side_transaction() as connection:
        cancel = connection.scalar(select(Job.cancel_requested).where(Job.id == job_id))
    return bool(cancel)


def finish(job_id: int, rows_done: int, path: str, name: str, *, now: datetime, days: int) -> None:
    """A running job is done: its file, its name for the download, when it expires."""
    _write(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
        .values(
            status=JobStatus.DONE,
            rows_done=rows_done,
            rows_total=rows_done,
            finished_at=now,
            heartbeat_at=now,
            result_path=path,
            result_name=name,
            expires_at=now + timedelta(days=days),
        )
    )


def complete(job_id: int, rows_done: int, *, now: datetime) -> None:
    """A running job without a file (an import) is done; its outcome is in ``result``."""
    _write(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
        .values(status=JobStatus.DONE, rows_done=rows_done, finished_at=now, heartbeat_at=now)
    )


def fail(job_id: int, code: str, *, now: datetime) -> None:
    """A queued or running job failed, for the reason ``code`` (a key of FAILURES)."""
    _write(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status=JobStatus.FAILED, error_code=code, finished_at=now)
    )


def mark_cancelled(job_id: int, *, now: datetime) -> None:
    """The task stopped on its owner's cancel."""
    _write(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status=JobStatus.CANCELLED, finished_at=now)
    )


# --- the periodic sweep ----------------------------------------------------------------


def partial_file(directory: Path, job_id: int) -> Path:
    """The file a running job writes before it is complete."""
    return directory / f"job-{job_id}.part"


def input_file(directory: Path, job_id: int) -> Path:
    """The rows an import job applies, written by the confirming request (personal data:
    deleted when the job ends)."""
    return directory / f"job-{job_id}.rows.json"


def sweep(app: Flask, *, now: datetime) -> tuple[int, int]:
    """Fail running jobs whose worker went silent; expire finished jobs past their days.

    Returns (failed, expired). Runs in the caller's transaction (a periodic task's edge).
    """
    directory = result_dir(app)
    stale_before = now - timedelta(minutes=app.config["JOB_STALE_MINUTES"])
    stale = list(
        db.session.scalars(
            select(Job.id).where(
                Job.status == JobStatus.RUNNING,
                (Job.heartbeat_at.is_(None)) | (Job.heartbeat_at < stale_before),
            )
        )
    )
    if stale:
        db.session.execute(
            update(Job)
            .where(Job.id.in_(stale), Job.status == JobStatus.RUNNING)
            .values(status=JobStatus.FAILED, error_code="worker_stopped", finished_at=now)
        )
        for job_id in stale:
            partial_file(directory, job_id).unlink(missing_ok=True)
            input_file(directory, job_id).unlink(missing_ok=True)
    expired = list(
        db.session.scalars(select(Job).where(Job.status == JobStatus.DONE, Job.expires_at <= now))
    )
    for job in expired:
        if job.result_path:
            (directory / job.result_path).unlink(missing_ok=True)
        job.status = JobStatus.EXPIRED
        job.result_path = None
    db.session.flush()
    if stale or expired:
        log.info("jobs sweep: %d failed (worker stopped), %d expired", len(stale), len(expired))
    return len(stale), len(expired)
