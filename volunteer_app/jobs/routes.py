"""Job pages: the user's own jobs, one job's progress (a page and its JSON), its file, cancel.

Every route that names a job resolves it through ``scoping.job_or_404``: the owner only,
and only while the job's unit is still in their scope (404 otherwise, as for any object of
another unit).
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.auth.scoping import job_or_404
from volunteer_app.database import utcnow
from volunteer_app.forms import ActionForm
from volunteer_app.jobs import bp, rules, services
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, content_disposition

#: How often the progress page asks for news (milliseconds).
POLL_MS = 1500


def _time_left_text(seconds: int | None) -> str:
    """About how long is left, in words."""
    if seconds is None:
        return _("Estimating the time left…")
    if seconds < 60:
        return _("About %(n)s s left", n=max(1, seconds))
    return _("About %(n)s min left", n=round(seconds / 60))


def _state(job: Job) -> dict:
    """What the progress page shows of a job, for the page and for its JSON."""
    now = utcnow()
    left = rules.seconds_left(job.rows_done, job.rows_total, job.started_at, now)
    state = {
        "status": job.status.value,
        "status_label": str(services.STATUS_LABELS[job.status]),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": 100
        if job.status == JobStatus.DONE
        else rules.percent(job.rows_done, job.rows_total),
        "rows_text": _(
            "%(done)s of %(total)s rows", done=f"{job.rows_done:,}", total=f"{job.rows_total:,}"
        ),
        "seconds_left": left,
        "time_left_text": _time_left_text(left) if job.status == JobStatus.RUNNING else "",
        "finished": rules.is_finished(job.status),
        "download_url": url_for("jobs.download", job_id=job.id)
        if job.status == JobStatus.DONE
        else None,
        "error": services.failure_message(job.error_code)
        if job.status == JobStatus.FAILED
        else None,
    }
    return state


@bp.get("")
@login_required
def index():
    """The user's own jobs, newest first."""
    jobs = services.user_jobs(current_user.id)
    return render_template("jobs/index.html", jobs=jobs, labels=services.STATUS_LABELS)


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    """One job's progress: a bar that updates without reloading, then the download."""
    job = job_or_404(current_user, job_id)
    return render_template(
        "jobs/show.html",
        job=job,
        state=_state(job),
        form=ActionForm(),
        may_cancel=rules.may_cancel(job.status),
        poll_ms=POLL_MS,
    )


@bp.get("/<int:job_id>.json")
@login_required
def state(job_id: int):
    """The job's progress as JSON, for the page's polling."""
    response = jsonify(_state(job_or_404(current_user, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int) -> Response:
    """The finished file, while it is kept, for its owner within their current scope."""
    job = job_or_404(current_user, job_id)
    if job.status != JobStatus.DONE or not job.result_path:
        return redirect(url_for("jobs.show", job_id=job.id))
    path = services.result_dir(current_app) / job.result_path
    if not path.is_file():
        return redirect(url_for("jobs.show", job_id=job.id))
    name = job.result_name or path.name
    mimetype = CSV_MIMETYPE if name.endswith(".csv") else XLSX_MIMETYPE
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:job_id>/cancel")
@login_required
def cancel(job_id: int):
    """Cancel a queued job, or ask a running one to stop at its next chunk."""
    job = job_or_404(current_user, job_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("jobs.show", job_id=job.id))
    services.request_cancel(job, now=utcnow())
    return redirect(url_for("jobs.show", job_id=job.id), 303)
