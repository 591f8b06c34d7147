"""Exports as background jobs: what each export is, how many rows it has, and its task.

Each export is described once (``ExportSpec``: file name, title, columns, rows, row count,
and the parameters that name it again), for the request that answers a small export at
once and for the worker that builds a large one from the job's stored parameters. The
worker checks the owner's scope again before it reads a row (a lost scope fails the job).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import distinct, func, select
from werkzeug.exceptions import NotFound

from volunteer_app.activities.models import Activity
from volunteer_app.auth import scoping
from volunteer_app.auth.models import User
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.jobs import services as jobs
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.jobs.queue import huey, task_context
from volunteer_app.localtime import local_zone, utc_to_local
from volunteer_app.reports import exports
from volunteer_app.reports import rows as export_rows
from volunteer_app.reports.periods import Period, parse_period
from volunteer_app.reports.sql import held_in_period, in_period
from volunteer_app.spreadsheets import csv_chunks, write_xlsx
from volunteer_app.stations.models import Unit

log = logging.getLogger(__name__)

#: The job kinds of the exports (``Job.kind``).
KINDS = ("export.attendance", "export.hours", "export.activities", "export.checkins")


@dataclass(frozen=True)
class ExportSpec:
    """One export of one scope: its file, its lines, its size and how to name it again."""

    kind: str
    filename: str
    title: str
    export: exports.Export
    rows: Callable[[], Iterable[Any]]
    count: Callable[[], int]
    unit_id: int
    params: dict


def attendance(activity: Activity) -> ExportSpec:
    """The attendance of one activity."""
    day = utc_to_local(activity.starts_at).date().isoformat()
    activity_id = activity.id
    return ExportSpec(
        "export.attendance",
        f"{_('Attendance')}_{activity.title}_{day}",
        _("Attendance"),
        exports.attendance_export(),
        partial(export_rows.attendance_rows, activity_id),
        lambda: db.session.scalar(
            select(func.count(CheckIn.id)).where(CheckIn.activity_id == activity_id)
        ),
        activity.unit_id,
        {"activity": activity_id},
    )


def _count_checkins(unit_ids, start: datetime, end: datetime) -> int:
    return db.session.scalar(
        select(func.count(CheckIn.id))
        .select_from(Activity)
        .join(CheckIn, CheckIn.activity_id == Activity.id)
        .where(*held_in_period(unit_ids, start, end))
    )


def _count_volunteers(unit_ids, start: datetime, end: datetime) -> int:
    return db.session.scalar(
        select(func.count(distinct(CheckIn.volunteer_id)))
        .select_from(Activity)
        .join(CheckIn, CheckIn.activity_id == Activity.id)
        .where(*held_in_period(unit_ids, start, end))
    )


def _count_activities(unit_ids, start: datetime, end: datetime) -> int:
    return db.session.scalar(
        select(func.count(Activity.id)).where(*in_period(unit_ids, start, end))
    )


def period_export(
    which: str, unit: Unit, unit_ids, period: Period, start: datetime, end: datetime, locale: str
) -> ExportSpec:
    """The hours, activities or check-ins export of a unit's scope and a period."""
    if which == "hours":
        name, export, rows, count = (
            _("Volunteer hours"),
            exports.hours_export(),
            export_rows.volunteer_hours_rows,
            _count_volunteers,
        )
    elif which == "activities":
        name, export, rows, count = (
            _("Activities"),
            exports.activities_export(locale),
            export_rows.activity_rows,
            _count_activities,
        )
    else:
        name, export, rows, count = (
            _("Service records"),
            exports.checkins_export(),
            export_rows.checkin_rows,
            _count_checkins,
        )
    return ExportSpec(
        f"export.{which}",
        f"{name}_{unit.name}_{period.filename_part()}",
        name,
        export,
        partial(rows, unit_ids, start, end),
        partial(count, unit_ids, start, end),
        unit.id,
        dict(period.args()),
    )


def spec_for_job(job: Job, owner: User, locale: str) -> ExportSpec:
    """The export a job names, within its owner's current scope (NotFound when lost)."""
    if job.kind == "export.attendance":
        return attendance(scoping.activity_or_404(owner, int(job.params["activity"])))
    unit = scoping.unit_or_404(owner, job.unit_id)
    period = parse_period(job.params, utc_to_local(utcnow()).date())
    start, end = period.bounds(local_zone())
    which = job.kind.removeprefix("export.")
    unit_ids = scoping.scope_unit_id_list(owner, unit)
    return period_export(which, unit, unit_ids, period, start, end, locale)


def job_params(spec: ExportSpec, fmt: str, locale: str) -> dict:
    """What the job row keeps to build the export again: its scope, format and language."""
    return {**spec.params, "fmt": fmt, "lang": locale}


# --- the task --------------------------------------------------------------------------


class _Cancelled(Exception):
    """The owner cancelled the running job."""


def _tracked(rows: Iterable[Any], job_id: int, counter: list[int]) -> Iterator[Any]:
    """The rows, reporting progress (and checking for a cancel) after each chunk."""
    chunk = max(1, int(current_app.config["JOB_CHUNK_ROWS"]))
    delay = float(current_app.config.get("JOB_CHUNK_DELAY_SECONDS") or 0)
    if current_app.config["ENV_NAME"] == "production":
        delay = 0.0  # a test hook only
    for row in rows:
        yield row
        counter[0] += 1
        if counter[0] % chunk == 0:
            if jobs.progress(job_id, counter[0], now=utcnow()):
                raise _Cancelled
            if delay:
                time.sleep(delay)


def _close(result: Iterable[Any]) -> None:
    """End a statement read partly (a cancel, a failure): on SQLite an unfinished one keeps
    its pooled connection on this old snapshot, and the worker's next task would read it."""
    close = getattr(result, "close", None)
    if close is not None:
        close()


@huey.task()
def run_export(job_id: int) -> None:
    """Build a large export's file for its job, chunk by chunk, with progress on the row."""
    with task_context() as app:
        job = db.session.get(Job, job_id)
        if job is None or job.status != JobStatus.QUEUED:
            return
        owner = db.session.get(User, job.owner_id)
        locale = job.params.get("lang") or app.config["BABEL_DEFAULT_LOCALE"]
        fmt = "csv" if job.params.get("fmt") == "csv" else "xlsx"
        with force_locale(locale):
            try:
                _build(app, job_id, owner, job, locale, fmt)
            except Exception:  # whatever broke, the job says so instead of waiting forever
                log.exception("export job %s failed", job_id)
                jobs.fail(job_id, "export_failed", now=utcnow())


def _build(app, job_id: int, owner: User, job: Job, locale: str, fmt: str) -> None:
    """The body of ``run_export``, in the job's language."""
    try:
        spec = spec_for_job(job, owner, locale)
    except NotFound:
        jobs.fail(job_id, "scope_lost", now=utcnow())
        return
    if not jobs.start(job_id, spec.count(), now=utcnow()):
        return  # cancelled while it waited
    directory = jobs.result_dir(app)
    part = jobs.partial_file(directory, job_id)
    counter = [0]
    result = spec.rows()
    try:
        lines = spec.export.lines(_tracked(result, job_id, counter))
        with part.open("wb") as handle:
            if fmt == "csv":
                for chunk in csv_chunks(spec.export.columns, lines):
                    handle.write(chunk)
            else:
                write_xlsx(spec.title, spec.export.columns, lines, target=handle)
    except _Cancelled:
        _close(result)
        part.unlink(missing_ok=True)
        jobs.mark_cancelled(job_id, now=utcnow())
        return
    except Exception:
        _close(result)
        log.exception("export job %s failed", job_id)
        part.unlink(missing_ok=True)
        jobs.fail(job_id, "export_failed", now=utcnow())
        return
    final = f"job-{job_id}.{fmt}"
    part.replace(directory / final)
    days = app.config["JOB_RESULT_DAYS"]
    jobs.finish(job_id, counter[0], final, f"{spec.filename}.{fmt}", now=utcnow(), days=days)
