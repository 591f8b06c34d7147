"""Organizers import the unit tree from a spreadsheet: template, upload and preview, confirm.

The rules and the service are in ``stations.imports``; these views only move the file and
the token between the organizer and it. Nothing is written before 确认导入.
"""

from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from volunteer_app import uploads
from volunteer_app.auth.scoping import role_required
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.stations import bp, imports
from volunteer_app.stations.imports import UnitImportError
from volunteer_app.transactions import reads_first

#: Who imports units: the district admin into the district, a centre organizer into their
#: own centre.
IMPORTERS = imports.IMPORTERS
#: The preview lists at most this many refused rows (their count is always given).
SHOWN_PROBLEMS = 500
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnitUploadForm(FlaskForm):
    """The spreadsheet of units to import (shape only: the rows are checked by the rules)."""

    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        validators=[FileRequired(_l("Please choose a file."))],
        render_kw={"accept": ".xlsx,.csv"},
    )


class UnitConfirmForm(FlaskForm):
    """Confirm an upload checked before, by its token."""

    token = HiddenField(validators=[DataRequired(), Length(max=64)])


def pending_store() -> imports.PendingStore:
    """The checked unit uploads waiting for their confirmation."""
    return imports.PendingStore(uploads.pending_directory("units"))


def runs_as_job(pending: imports.Pending) -> bool:
    """Whether confirming this upload starts a background job (above IMPORT_JOB_THRESHOLD)."""
    return len(pending.checked.rows) > current_app.config["IMPORT_JOB_THRESHOLD"]


def start_page(form: UnitUploadForm, status: int = 200):
    """The upload form (again, after a refusal)."""
    return render_template("stations/import.html", form=form), status


def preview_page(pending: imports.Pending, form: UnitConfirmForm, status: int = 200):
    """What confirming the upload would add, with its form."""
    checked = pending.checked
    return (
        render_template(
            "stations/import_preview.html",
            form=form,
            importable=len(checked.rows),
            refused=imports.message_list(checked, SHOWN_PROBLEMS),
            refused_count=len(checked.refused),
            counts=imports.count(checked.rows, imports.existing_tree(current_user)),
            confirm_url=url_for("jobs.unit_import")
            if runs_as_job(pending)
            else url_for("stations.import_confirm"),
        ),
        status,
    )


@bp.get("/units/import")
@login_required
@role_required(*IMPORTERS)
def import_start():
    """The upload form, with the template to download."""
    return start_page(UnitUploadForm())


@bp.get("/units/import/template.xlsx")
@login_required
@role_required(*IMPORTERS)
def import_template():
    """The .xlsx template with the Chinese headers."""
    return send_file(
        io.BytesIO(imports.template_workbook()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="站点导入模板.xlsx",
    )


@bp.post("/units/import")
@login_required
@role_required(*IMPORTERS)
@reads_first  # checking a file only reads: SQLite's write lock is not taken
def import_preview():
    """Check an uploaded file and show what an import would add; nothing is written."""
    form = UnitUploadForm()
    if not form.validate_on_submit():
        return start_page(form, 400)
    upload = form.file.data
    data = upload.read()
    now = utcnow()
    try:
        checked = imports.check_rows(
            imports.read_table(data, upload.filename or ""),
            tree=imports.existing_tree(current_user),
        )
    except UnitImportError as error:
        form.file.errors.append(error.message)
        return start_page(form, error.status)
    file_sha256 = uploads.file_hash(data)
    pending = pending_store().save(current_user, checked, file_sha256=file_sha256, now=now)
    return preview_page(pending, UnitConfirmForm(formdata=None, token=pending.token))


@bp.post("/units/import/confirm")
@login_required
@role_required(*IMPORTERS)
def import_confirm():
    """Add the units of an upload checked before, in this request's one transaction.

    Above IMPORT_JOB_THRESHOLD rows the preview's form posts to ``jobs.unit_import`` instead
    (a job applies the rows in chunks); a post of such an upload here goes there.
    """
    form = UnitConfirmForm()
    now = utcnow()
    store = pending_store()
    try:
        pending = store.load(form.token.data or "", current_user, now=now)
        if not form.validate_on_submit():
            return preview_page(pending, form, 400)
        if not pending.checked.rows:
            raise UnitImportError("nothing_to_import")
        if runs_as_job(pending):
            # a large import is applied by a background job: its route takes the same form
            return redirect(url_for("jobs.unit_import"), 307)
        counts = imports.apply(
            pending.checked.rows, current_user, now=now, file_sha256=pending.file_sha256
        )
    except DomainError as error:  # the import's, or a unit rule's (a name taken meanwhile)
        flash(error.message, "error")
        return start_page(UnitUploadForm(formdata=None), error.status)
    store.discard(pending.token)
    flash(
        _(
            "Imported: %(centres)s new centres, %(stations)s new stations; %(existing)s "
            "stations existed already and were left as they are.",
            centres=counts.new_centres,
            stations=counts.new_stations,
            existing=counts.existing_stations,
        ),
        "success",
    )
    return redirect(url_for("stations.index"))
