"""Shared pieces of the background-job tests: an activity with many check-ins, and a queue."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from volunteer_app.jobs import queue
from volunteer_app.jobs.models import Job

#: Check-ins at the activity of ``ExportWorld``; above the tests' threshold of 5.
ROWS = 12


@dataclass
class ExportWorld:
    """An organizer's station with one activity of ``ROWS`` check-ins."""

    user: object
    activity: object

    @property
    def attendance(self) -> str:
        """The activity's attendance export (xlsx)."""
        return f"/reports/activities/{self.activity.id}/attendance.xlsx"


def build(make, db, rows: int = ROWS) -> ExportWorld:
    """An organizer and an activity with ``rows`` check-ins, all checked out."""
    from volunteer_app.checkins import services as checkins

    activity = make.activity(title="大型导出活动")
    user = make.user(unit=activity.unit)
    for n in range(rows):
        volunteer = make.volunteer(f"志愿者{n:02d}")
        record = checkins.check_in(activity, volunteer, now=activity.starts_at)
        record.checked_out_at = activity.starts_at + timedelta(minutes=60)
        record.minutes = 60
    db.session.commit()
    return ExportWorld(user, activity)


def configure(app, tmp_path, **overrides) -> None:
    """Small thresholds and chunks, results under ``tmp_path``, and ``overrides``; then
    point the queue at the configuration (immediate unless JOBS_IMMEDIATE=False)."""
    app.config.update(
        {
            "EXPORT_JOB_THRESHOLD": 5,
            "JOB_CHUNK_ROWS": 4,
            "JOB_RESULT_DIR": str(tmp_path / "results"),
            "JOBS_QUEUE_FILE": str(tmp_path / "queue.db"),
            **overrides,
        }
    )
    queue.init_app(app)


def run_queued(limit: int = 10) -> int:
    """Run what waits in the queue as a consumer's worker does (dequeue, execute)."""
    ran = 0
    while ran < limit:
        task = queue.huey.dequeue()
        if task is None:
            break
        queue.huey.execute(task)
        ran += 1
    return ran


def start_export(client, url: str):
    """Ask for a large export with the button of its page; the response of the POST."""
    from ..conftest import csrf_token

    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token})


def job_row(db, job_id: int) -> Job:
    """The job as the database has it now."""
    db.session.expire_all()
    return db.session.scalar(select(Job).where(Job.id == job_id))


def xlsx_lines(data: bytes) -> list[list]:
    """The rows of an xlsx file."""
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]
