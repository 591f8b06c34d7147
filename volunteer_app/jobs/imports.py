"""Large imports as background jobs: the confirming request's job, and the task applying it.

Above ``IMPORT_JOB_THRESHOLD`` rows, confirming a volunteer import or a unit-tree import
creates a job (``start_import``) instead of writing every row inside the request. The
checked rows go to a file of the job (``services.input_file``, under the job directory,
deleted when the job ends); the task (``run_import``) applies them with the import's own
service (``volunteers.imports.apply``, ``stations.imports.apply``: ``ImportKind``), a chunk
at a time (``JOB_CHUNK_ROWS``), each chunk in one transaction of its own with its audit
entries, the owner as actor.

A chunk claims its place first: its transaction begins with an UPDATE of the job's
``rows_done`` from the chunk's first row to its last, only while the job runs, is not
cancelled and is at that row. A second run of the task (the queue delivering it twice, a
consumer restarted) therefore continues after the last committed chunk and never applies
one twice; a worker killed midway leaves the committed chunks in place. The import itself
is idempotent too (numbers and people are inserted ON CONFLICT DO NOTHING), which is what
makes uploading the file again after a failure harmless.

Before each chunk the owner's scope is checked again (a volunteer row's station must be
one the owner may see; a unit import's owner must still be an importer of the job's unit);
a lost scope fails the job (``import_scope_lost``), the chunks before it stay. A cancel
takes effect at the next chunk. The counts so far are kept on the job
(``Job.result``) with each chunk, so every end says what was imported.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import false, select, update

from volunteer_app.auth.models import User
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.jobs import services as jobs
from volunteer_app.jobs.models import ACTIVE, Job, JobStatus
from volunteer_app.jobs.queue import huey, task_context
from volunteer_app.stations import imports as unit_imports
from volunteer_app.transactions import task_transaction
from volunteer_app.volunteers import imports as volunteer_imports

log = logging.getLogger(__name__)

VOLUNTEER_IMPORT, UNIT_IMPORT = "volunteer_import", "unit_import"


class ScopeLost(Exception):
    """The owner may no longer import what the chunk's rows name."""


class TreeChanged(Exception):
    """A unit import's row would be refused now (a unit archived or added since the check)."""


@dataclass(frozen=True)
class ImportKind:
    """One import as a job: its counts, its rows on file, its chunks, its service."""

    kind: str
    #: The dataclass of what the import adds (its fields are the job's ``result`` keys).
    counts: type
    add_counts: Callable[[Any, Any], Any]
    row: type
    row_values: Callable[[Any], list]
    #: The rows in the order a job applies them (the same on every run).
    ordered: Callable[[list], list]
    #: The ordered rows in chunks of about the size given.
    chunks: Callable[[list, int], Iterator[list]]
    #: Apply one chunk for (rows, owner, job unit id, job params, now, audit extra); the
    #: counts, or ScopeLost.
    apply: Callable[..., Any]


def _fixed_chunks(rows: list, size: int) -> Iterator[list]:
    size = max(1, size)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _apply_volunteers(rows, owner: User, unit_id: int, params: dict, now: datetime, audit: dict):
    """A chunk of a volunteer import; every row's station must still be the owner's."""
    try:
        return volunteer_imports.apply(
            rows,
            owner,
            now=now,
            consent_version=params["consent_version"],
            file_sha256=params.get("file_sha256", ""),
            audit=audit,
        )
    except volunteer_imports.ImportFileError as error:
        if error.code == "stations_changed":
            raise ScopeLost from error
        raise


def _apply_units(rows, owner: User, unit_id: int, params: dict, now: datetime, audit: dict):
    """A chunk of a unit-tree import; the owner must still import into the job's unit (the
    import writes under the owner's own unit, so a moved owner would write elsewhere)."""
    if owner.unit_id != unit_id or not unit_imports.may_import(owner):
        raise ScopeLost
    try:
        return unit_imports.apply(
            rows, owner, now=now, file_sha256=params.get("file_sha256", ""), audit_extra=audit
        )
    except unit_imports.UnitImportError as error:
        if error.code == "units_changed":
            raise TreeChanged from error
        raise


KINDS = {
    VOLUNTEER_IMPORT: ImportKind(
        VOLUNTEER_IMPORT,
        volunteer_imports.Counts,
        volunteer_imports.add_counts,
        volunteer_imports.Row,
        volunteer_imports.row_values,
        volunteer_imports.in_phone_order,
        volunteer_imports.phone_chunks,
        _apply_volunteers,
    ),
    UNIT_IMPORT: ImportKind(
        UNIT_IMPORT,
        unit_imports.Counts,
        unit_imports.add_counts,
        unit_imports.UnitRow,
        unit_imports.row_values,
        list,  # file order: a centre is created by its first row, as at once
        _fixed_chunks,
        _apply_units,
    ),
}


def summary(kind: str, result: dict | None) -> dict:
    """An import job's outcome (zeros until its first chunk), with the rows refused at the
    preview."""
    result = result or {}
    return {
        **{key: int(result.get(key) or 0) for key in asdict(KINDS[kind].counts())},
        "refused": int(result.get("refused") or 0),
    }


def start_import(
    kind: str,
    owner: User,
    pending: Any,
    *,
    params: dict,
    limit: int,
    now: datetime,
) -> Job:
    """A queued import job of ``pending``'s checked rows (flushed), its rows on file.

    ``params``: the language and what the import's service needs again (the file's hash,
    the consent version). Raises JobError("too_many") past the owner's limit of jobs at
    once. The caller enqueues ``run_import`` once its transaction has committed.
    """
    spec = KINDS[kind]
    rows = pending.checked.rows
    job = jobs.create(
        owner,
        kind,
        owner.unit_id,
        {**params, "file_sha256": pending.file_sha256},
        limit=limit,
        now=now,
    )
    job.rows_total = len(rows)
    job.result = summary(kind, {"refused": len(pending.checked.refused)})
    db.session.flush()
    path = jobs.input_file(jobs.result_dir(current_app), job.id)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps([spec.row_values(row) for row in rows]), "utf-8")
    temporary.replace(path)
    return job


def _read_rows(spec: ImportKind, job_id: int) -> list | None:
    """The rows of an import job, or None when their file is gone or unreadable."""
    path = jobs.input_file(jobs.result_dir(current_app), job_id)
    try:
        return [spec.row(*values) for values in json.loads(path.read_text("utf-8"))]
    except (OSError, ValueError, TypeError):
        return None


def _drop_rows(job_id: int) -> None:
    """Delete an import job's rows (it has ended)."""
    jobs.input_file(jobs.result_dir(current_app), job_id).unlink(missing_ok=True)


#: What applying one chunk came to.
APPLIED, CANCELLED, SCOPE_LOST, CHANGED, GONE = (
    "applied",
    "cancelled",
    "scope_lost",
    "changed",
    "gone",
)


def apply_chunk(job_id: int, chunk: list, first: int, *, now: datetime) -> str:
    """Apply rows ``first`` .. ``first + len(chunk)`` of a running import job, in one
    transaction with the job's progress and counts; what came of it.

    GONE: the job is no longer running at that row (another run applied the chunk, or it
    ended); CANCELLED: its owner cancelled it; SCOPE_LOST: the owner may no longer import
    what the rows name; CHANGED: a unit import's rows no longer fit the tree. Nothing of the
    chunk is written then (the transaction rolls back with the exception).
    """
    try:
        return _apply_chunk(job_id, chunk, first, now=now)
    except ScopeLost:
        return SCOPE_LOST
    except TreeChanged:
        return CHANGED


def _apply_chunk(job_id: int, chunk: list, first: int, *, now: datetime) -> str:
    """The body of ``apply_chunk``: one task transaction."""
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
        job = db.session.get(Job, job_id)
        spec = KINDS[job.kind]
        owner = db.session.get(User, job.owner_id)
        counts = spec.apply(
            chunk, owner, job.unit_id, job.params, now, {"job": job_id, "from_row": first}
        )
        so_far = summary(job.kind, job.result)
        fields = asdict(spec.counts())
        total = spec.add_counts(spec.counts(**{key: so_far[key] for key in fields}), counts)
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(result={**asdict(total), "refused": so_far["refused"]})
        )
    return APPLIED


@dataclass(frozen=True)
class _Start:
    """What a run of the task needs of its job, read in a transaction of its own."""

    kind: str
    status: JobStatus
    rows_done: int
    locale: str | None


def _job_status(job_id: int) -> JobStatus | None:
    """The job's status now (None once it is deleted), in a transaction of its own."""
    with task_transaction():
        return db.session.scalar(select(Job.status).where(Job.id == job_id))


@huey.task()
def run_import(job_id: int) -> None:
    """Apply a large import for its job, chunk by chunk (a rerun resumes)."""
    with task_context() as app:
        # Read in a transaction that ends here: each chunk's own begins afresh (see
        # ``_apply_chunk``).
        with task_transaction():
            job = db.session.get(Job, job_id)
            start = job and _Start(job.kind, job.status, job.rows_done, job.params.get("lang"))
        if start is None or start.kind not in KINDS:
            return
        if start.status not in ACTIVE:
            _drop_rows(job_id)  # cancelled while it waited
            return
        with force_locale(start.locale or app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                _run(app, job_id, start)
            except Exception:  # whatever broke, the job says so instead of waiting forever
                log.exception("import job %s failed", job_id)
                jobs.fail(job_id, "import_failed", now=utcnow())
        ended = _job_status(job_id)
        if ended is None or ended not in ACTIVE:
            _drop_rows(job_id)


def _run(app, job_id: int, start: _Start) -> None:
    """The body of ``run_import``, in the job's language."""
    spec = KINDS[start.kind]
    first = start.rows_done
    rows = _read_rows(spec, job_id)
    if rows is None:
        jobs.fail(job_id, "import_input_lost", now=utcnow())
        return
    if start.status == JobStatus.QUEUED:
        if not jobs.start(job_id, len(rows), now=utcnow()):
            return  # cancelled while it waited
        first = 0
    size = max(1, int(app.config["JOB_CHUNK_ROWS"]))
    delay = float(app.config.get("JOB_CHUNK_DELAY_SECONDS") or 0)
    if app.config["ENV_NAME"] == "production":
        delay = 0.0  # a test hook only
    # The order and the chunks are the same on every run, so ``first`` (a chunk's end on
    # the run before) never splits what a chunk keeps together (a number's rows).
    for chunk in spec.chunks(spec.ordered(rows)[first:], size):
        outcome = apply_chunk(job_id, chunk, first, now=utcnow())
        if outcome == CANCELLED:
            jobs.mark_cancelled(job_id, now=utcnow())
            return
        if outcome in (SCOPE_LOST, CHANGED):
            code = "import_scope_lost" if outcome == SCOPE_LOST else "import_units_changed"
            jobs.fail(job_id, code, now=utcnow())
            return
        if outcome == GONE:
            return
        first += len(chunk)
        if delay:
            time.sleep(delay)
    jobs.complete(job_id, first, now=utcnow())
