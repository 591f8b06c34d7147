"""Job pages: the user's own jobs, one job's progress (a page and its JSON), its file or its
outcome, cancel; and the confirmation of a large import, which starts its job.

Every route that names a job resolves it through ``scoping.job_or_404``: the owner only,
and only while the job's unit is still in their scope (404 otherwise, as for any object of
another unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from volunteer_app.auth.scoping import job_or_404, role_required
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.forms import ActionForm
from volunteer_app.jobs import bp, imports, rules, services
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, content_disposition
from volunteer_app.stations import manage_import as unit_import_views
from volunteer_app.stations.imports import UnitImportError
from volunteer_app.transactions import after_commit
from volunteer_app.volunteers import manage_import
from volunteer_app.volunteers.imports import ImportFileError

#: How often the progress page asks for news (milliseconds).
POLL_MS = 1500


def _time_left_text(seconds: int | None) -> str:
    """About how long is left, in words."""
    if seconds is None:
        return _("Estimating the time left…")
    if seconds < 60:
        return _("About %(n)s s left", n=max(1, seconds))
    return _("About %(n)s min left", n=round(seconds / 60))


#: The lines of an import job's outcome, by kind and key of ``jobs.imports.summary``.
IMPORT_SUMMARY = {
    imports.VOLUNTEER_IMPORT: (
        ("new_people", _l("new volunteers")),
        ("new_numbers", _l("new numbers")),
        ("linked_rows", _l("rows with a registered number")),
        ("held_rows", _l("rows held back (a number other stations' volunteers use)")),
        ("refused", _l("rows not imported (refused at the check)")),
    ),
    imports.UNIT_IMPORT: (
        ("new_centres", _l("new centres")),
        ("new_stations", _l("new stations")),
        ("existing_stations", _l("stations that exist already")),
        ("refused", _l("rows not imported (refused at the check)")),
    ),
}
#: Each import's title, and where to import another file.
IMPORT_TITLES = {
    imports.VOLUNTEER_IMPORT: (_l("Volunteer import"), "volunteers.import_start"),
    imports.UNIT_IMPORT: (_l("Unit import"), "stations.import_start"),
}


def _summary(job: Job) -> list[dict] | None:
    """An import job's outcome so far, line by line; None for an export."""
    if not services.is_import(job):
        return None
    counts = imports.summary(job.kind, job.result)
    return [
        {"key": key, "label": str(label), "n": counts[key]}
        for key, label in IMPORT_SUMMARY[job.kind]
    ]


def _state(job: Job) -> dict:
    """What the progress page shows of a job, for the page and for its JSON."""
    now = utcnow()
    left = rules.seconds_left(job.rows_done, job.rows_total, job.started_at, now)
    state = {
        "status": job.status.value,
        "status_label": services.status_label(job),
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
        if job.status == JobStatus.DONE and not services.is_import(job)
        else None,
        "summary": _summary(job),
        "stopped_text": _(
            "Stopped: %(done)s of %(total)s rows were imported; they stay imported.",
            done=f"{job.rows_done:,}",
            total=f"{job.rows_total:,}",
        )
        if services.is_import(job) and job.status in (JobStatus.CANCELLED, JobStatus.FAILED)
        else "",
        "error": services.failure_message(job.error_code, of_import=services.is_import(job))
        if job.status == JobStatus.FAILED
        else None,
    }
    return state


@bp.get("")
@login_required
def index():
    """The user's own jobs, newest first."""
    jobs = services.user_jobs(current_user.id)
    return render_template(
        "jobs/index.html",
        jobs=jobs,
        status_label=services.status_label,
        import_titles={kind: str(title) for kind, (title, _) in IMPORT_TITLES.items()},
    )


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    """One job's progress: a bar that updates without reloading, then the download (an
    export) or what it added (an import)."""
    job = job_or_404(current_user, job_id)
    return render_template(
        "jobs/show.html",
        job=job,
        is_import=services.is_import(job),
        import_title=str(IMPORT_TITLES[job.kind][0]) if services.is_import(job) else "",
        import_again=url_for(IMPORT_TITLES[job.kind][1]) if services.is_import(job) else "",
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


@dataclass(frozen=True)
class _ImportViews:
    """An area's import views, as the confirmation of its large imports uses them."""

    module: ModuleType  # pending_store, runs_as_job, start_page, preview_page
    error: type[DomainError]
    upload_form: type
    confirm_endpoint: str


VOLUNTEER_VIEWS = _ImportViews(
    manage_import, ImportFileError, manage_import.ImportUploadForm, "volunteers.import_confirm"
)
UNIT_VIEWS = _ImportViews(
    unit_import_views, UnitImportError, unit_import_views.UnitUploadForm, "stations.import_confirm"
)


def _confirm_import(kind: str, views: _ImportViews, form, params: dict):
    """Confirm a large import: start its job and lead to its page; the same checks as the
    area's own confirmation, which takes the small ones."""
    now = utcnow()
    view = views.module
    store = view.pending_store()
    try:
        pending = store.load(form.token.data or "", current_user, now=now)
        if not form.validate_on_submit():
            return view.preview_page(pending, form, 400)
        if not pending.checked.rows:
            raise views.error("nothing_to_import")
        if not view.runs_as_job(pending):
            return redirect(url_for(views.confirm_endpoint), 307)
        job = imports.start_import(
            kind,
            current_user,
            pending,
            params={"lang": str(get_locale()), **params},
            limit=current_app.config["JOBS_PER_USER"],
            now=now,
        )
    except views.error as error:
        flash(error.message, "error")
        return view.start_page(views.upload_form(formdata=None), error.status)
    except services.JobError as error:
        # the upload stays checked: the organizer confirms again once a job has ended
        flash(error.message, "error")
        return view.preview_page(pending, form, error.status)
    store.discard(pending.token)
    job_id = job.id
    after_commit(lambda: imports.run_import(job_id))
    return redirect(url_for("jobs.show", job_id=job_id), 303)


@bp.post("/imports/volunteers")
@login_required
@role_required(*manage_import.ORGANIZERS)
def volunteer_import():
    """Confirm a large volunteer import (the preview's form): start its job, show its page.

    An upload at or below IMPORT_JOB_THRESHOLD rows is imported by
    ``volunteers.import_confirm``, at once.
    """
    consent = "imp-" + current_app.config["CONSENT_VERSION"]
    return _confirm_import(
        imports.VOLUNTEER_IMPORT,
        VOLUNTEER_VIEWS,
        manage_import.ImportConfirmForm(),
        {"consent_version": consent},
    )


@bp.post("/imports/units")
@login_required
@role_required(*unit_import_views.IMPORTERS)
def unit_import():
    """Confirm a large unit-tree import (the preview's form): start its job, show its page.

    An upload at or below IMPORT_JOB_THRESHOLD rows is imported by
    ``stations.import_confirm``, at once.
    """
    return _confirm_import(imports.UNIT_IMPORT, UNIT_VIEWS, unit_import_views.UnitConfirmForm(), {})
