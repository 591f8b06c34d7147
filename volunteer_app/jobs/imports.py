"""Large imports as background jobs: the confirming request's job, and the task applying it.

Above ``IMPORT_JOB_THRESHOLD`` rows, confirming a volunteer import creates a job
(``start_volunteer_import``) instead of writing every row inside the request. The checked
rows go to a file of the job (``services.input_file``, under the job directory, deleted
when the job ends); the task (``run_volunteer_import``) applies them with the import's own
service (``volunteers.imports.apply``), a chunk at a time (``JOB_CHUNK_ROWS``), each chunk
in one transaction of its own with its audit entry, the owner as actor.

A chunk claims its place first: its transaction begins with an UPDATE of the job's
``rows_done`` from the chunk's first row to its last, only while the job runs, is not
cancelled and is at that row. A second run of the task (the queue delivering it twice, a
consumer restarted) therefore continues after the last committed chunk and never applies
one twice; a worker killed midway leaves the committed chunks in place. The import itself
is idempotent too (numbers and people are inserted ON CONFLICT DO NOTHING), which is what
makes uploading the file again after a failure harmless.

Before each chunk ``apply`` checks that every row's station is still in the owner's
scope; a lost scope fails the job (``import_scope_lost``), the chunks before it stay. A
cancel takes effect at the next chunk. The counts so far are kept on the job
(``Job.result``) with each chunk, so every end says what was imported.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import false, select, update

from volunteer_app.auth.models import User
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.jobs import services as jobs
from volunteer_app.jobs.models import ACTIVE, Job, JobStatus
from volunteer_app.jobs.queue import huey, task_context
from volunteer_app.transactions import task_transaction
from volunteer_app.volunteers import imports
from volunteer_app.volunteers.imports import Counts, ImportFileError, Row

log = logging.getLogger(__name__)

VOLUNTEER_IMPORT = "volunteer_import"


def summary(result: dict | None) -> dict:
    """An import job's outcome (zeros until its first chunk), with the rows refused at the
    preview."""
    result = result or {}
    counts = asdict(Counts())
    return {
        **{key: int(result.get(key) or 0) for key in counts},
        "refused": int(result.get("refused") or 0),
    }


def start_volunteer_import(
    owner: User,
    pending: imports.Pending,
    *,
    consent_version: str,
    locale: str,
    limit: int,
    now: datetime,
) -> Job:
    """A queued job importing the checked rows of ``pending`` (flushed), its rows on file.

    Raises JobError("too_many") past the owner's limit of jobs at once. The caller enqueues
    ``run_volunteer_import`` once its transaction has committed.
    """
    rows = pending.checked.rows
    job = jobs.create(
        owner,
        VOLUNTEER_IMPORT,
        owner.unit_id,
        {"lang": locale, "file_sha256": pending.file_sha256, "consent_version": consent_version},
        limit=limit,
        now=now,
    )
    job.rows_total = len(rows)
    job.result = summary({"refused": len(pending.checked.refused)})
    db.session.flush()
    path = jobs.input_file(jobs.result_dir(current_app), job.id)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps([imports.row_values(row) for row in rows]), "utf-8")
    temporary.replace(path)
    return job


def _read_rows(job_id: int) -> list[Row] | None:
    """The rows of an import job, or None when their file is gone or unreadable."""
    path = jobs.input_file(jobs.result_dir(current_app), job_id)
    try:
        return [Row(*values) for values in json.loads(path.read_text("utf-8"))]
    except (OSError, ValueError, TypeError):
        return None


def _drop_rows(job_id: int) -> None:
    """Delete an import job's rows (it has ended)."""
    jobs.input_file(jobs.result_dir(current_app), job_id).unlink(missing_ok=True)


#: What applying one chunk came to.
APPLIED, CANCELLED, SCOPE_LOST, GONE = "applied", "cancelled", "scope_lost", "gone"


def apply_chunk(
    job_id: int, owner_id: int, chunk: list[Row], first: int, params: dict, *, now: datetime
) -> str:
    """Apply rows ``first`` .. ``first + len(chunk)`` of a running import job, in one
    transaction with the job's progress and counts; what came of it.

    GONE: the job is no longer running at that row (another run applied the chunk, or it
    ended); CANCELLED: its owner cancelled it; SCOPE_LOST: a row's station is no longer in
    the owner's scope. Nothing of the chunk is written then.
    """
    done = first + len(chunk)
    with task_transaction():
        # The claim comes first: on SQLite the chunk's transaction takes the write lock
        # with its first statement (no read before it that a writer could make stale).
        claimed = db.session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.status == JobStatus.RUNNING,
                Job.rows_done == first,
                Job.cancel_requested == false(),
            )
            .values(rows_done=done, heartbeat_at=now)
        ).rowcount
        if not claimed:
            cancelled = db.session.scalar(
                select(Job.id).where(
                    Job.id == job_id, Job.status == JobStatus.RUNNING, Job.cancel_requested
                )
            )
            return CANCELLED if cancelled else GONE
        owner = db.session.get(User, owner_id)
        try:
            counts = imports.apply(
                chunk,
                owner,
                now=now,
                consent_version=params["consent_version"],
                file_sha256=params.get("file_sha256", ""),
                audit={"job": job_id, "from_row": first},
            )
        except ImportFileError as error:
            if error.code != "stations_changed":
                raise
            db.session.rollback()
            return SCOPE_LOST
        result = db.session.scalar(select(Job.result).where(Job.id == job_id))
        so_far = summary(result)
        total = imports.add_counts(Counts(**{key: so_far[key] for key in asdict(Counts())}), counts)
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(result={**asdict(total), "refused": so_far["refused"]})
        )
    return APPLIED


@huey.task()
def run_volunteer_import(job_id: int) -> None:
    """Apply a large volunteer import for its job, chunk by chunk (a rerun resumes)."""
    with task_context() as app:
        job = db.session.get(Job, job_id)
        if job is None:
            return
        if job.status not in ACTIVE:
            _drop_rows(job_id)  # cancelled while it waited
            return
        locale = job.params.get("lang") or app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            try:
                _run(app, job)
            except Exception:  # whatever broke, the job says so instead of waiting forever
                log.exception("import job %s failed", job_id)
                jobs.fail(job_id, "import_failed", now=utcnow())
        db.session.rollback()
        ended = db.session.scalar(select(Job.status).where(Job.id == job_id))
        if ended is None or ended not in ACTIVE:
            _drop_rows(job_id)


def _run(app, job: Job) -> None:
    """The body of ``run_volunteer_import``, in the job's language."""
    job_id, owner_id, params = job.id, job.owner_id, dict(job.params)
    resuming, first = job.status == JobStatus.RUNNING, job.rows_done
    # End the reading transaction: each chunk's own begins afresh (see ``apply_chunk``).
    db.session.rollback()
    rows = _read_rows(job_id)
    if rows is None:
        jobs.fail(job_id, "import_input_lost", now=utcnow())
        return
    if not resuming:
        if not jobs.start(job_id, len(rows), now=utcnow()):
            return  # cancelled while it waited
        first = 0
    size = max(1, int(app.config["JOB_CHUNK_ROWS"]))
    delay = float(app.config.get("JOB_CHUNK_DELAY_SECONDS") or 0)
    if app.config["ENV_NAME"] == "production":
        delay = 0.0  # a test hook only
    # The order and the chunks are the same on every run, so ``first`` (a chunk's end on
    # the run before) never splits a number's rows.
    for chunk in imports.phone_chunks(imports.in_phone_order(rows)[first:], size):
        outcome = apply_chunk(job_id, owner_id, chunk, first, params, now=utcnow())
        if outcome == CANCELLED:
            jobs.mark_cancelled(job_id, now=utcnow())
            return
        if outcome == SCOPE_LOST:
            jobs.fail(job_id, "import_scope_lost", now=utcnow())
            return
        if outcome == GONE:
            return
        first += len(chunk)
        if delay:
            time.sleep(delay)
    jobs.complete(job_id, first, now=utcnow())
