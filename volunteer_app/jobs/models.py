"""The ``jobs`` table: one row per background job, what it covers and how far it got.

The queue (huey, ``jobs.queue``) carries only the job's id; everything a person sees (status,
progress, the file, why it failed) is here, so it survives restarts of the web server and of
the worker. ``unit_id`` and ``params`` name the scope the job covers: a download is checked
against the current user's scope again (``auth.scoping.job_or_404``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_app.auth.models import User
from volunteer_app.database import str_enum
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit

#: Longest error code, kind and file name kept.
CODE_MAX, KIND_MAX, NAME_MAX = 40, 40, 200


class JobStatus(enum.StrEnum):
    """Where a job is: waiting, working, or one of its ends."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


#: Statuses that count against a user's limit of jobs at once.
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(db.Model):
    """A background job of one user over one unit's scope: an export or an import."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the job does, e.g. "export.checkins" (reports.background names them).
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    owner_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"))
    #: The unit whose scope the job covers (an attendance export: its activity's unit).
    unit_id: Mapped[int] = mapped_column(ForeignKey(Unit.id, ondelete="CASCADE"))
    #: The rest of the scope and the options: period, format, activity id, language.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int] = mapped_column(default=0)
    #: Set by the owner's cancel while running; the task stops at its next chunk.
    cancel_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: The worker's last sign of life; a running job silent too long is marked failed.
    heartbeat_at: Mapped[datetime | None]
    #: Why it failed, as a stable code (jobs.services.ERRORS translates it on the page).
    error_code: Mapped[str | None] = mapped_column(String(CODE_MAX))
    #: The finished file, relative to the job directory under instance/ (never web-served).
    result_path: Mapped[str | None] = mapped_column(String(NAME_MAX))
    #: The name the download is offered under, with its extension.
    result_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    #: The outcome of a job without a file (an import: what it added so far), kept as it
    #: goes, chunk by chunk, so a cancelled or failed job still says what it did.
    result: Mapped[dict | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None]


#: The /jobs list and the per-user limit read a user's jobs, newest first.
jobs_by_owner = Index("ix_jobs_owner_created", Job.owner_id, Job.created_at)
#: The periodic sweep reads jobs by status.
jobs_by_status = Index("ix_jobs_status", Job.status)
