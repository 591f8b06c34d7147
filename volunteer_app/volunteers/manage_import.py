"""Organizers import volunteers from a spreadsheet: template, upload and preview, confirm.

The rules and the service are in ``volunteers.imports``; these views only move the file
and the token between the organizer and it. Nothing is written before 确认导入.
"""

from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Length

from volunteer_app import uploads
from volunteer_app.auth.models import Role
from volunteer_app.auth.scoping import role_required
from volunteer_app.database import utcnow
from volunteer_app.localtime import utc_to_local
from volunteer_app.transactions import reads_first
from volunteer_app.volunteers import bp, imports
from volunteer_app.volunteers.imports import ImportFileError

#: Every organizer may import, a station organizer only into their own station (the
#: stations a file may name are the units the organizer may see).
ORGANIZERS = (Role.DISTRICT_ADMIN, Role.CENTRE_ORGANIZER, Role.STATION_ORGANIZER)
#: The preview lists at most this many refused rows (their count is always given).
SHOWN_PROBLEMS = 500
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(FlaskForm):
    """The spreadsheet to import (shape only: the rows are checked by the rules)."""

    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        validators=[FileRequired(_l("Please choose a file."))],
        render_kw={"accept": ".xlsx,.csv"},
    )


class ImportConfirmForm(FlaskForm):
    """Confirm an upload checked before: its token, and the organizer's attestation."""

    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    consent = BooleanField(
        _l(
            "The people in this file (for those under 14, their parents or guardians) agree "
            "that this station keeps their name, phone number and service record."
        ),
        validators=[DataRequired(_l("Please confirm that the people in the file consent."))],
    )


def pending_store() -> imports.PendingStore:
    """The checked uploads waiting for their confirmation."""
    return imports.PendingStore(uploads.pending_directory("volunteers"))


def runs_as_job(pending: imports.Pending) -> bool:
    """Whether confirming this upload starts a background job (above IMPORT_JOB_THRESHOLD)."""
    return len(pending.checked.rows) > current_app.config["IMPORT_JOB_THRESHOLD"]


def start_page(form: ImportUploadForm, status: int = 200):
    """The upload form (again, after a refusal)."""
    return render_template("volunteers/import.html", form=form), status


def preview_page(pending: imports.Pending, form: ImportConfirmForm, status: int = 200):
    """What confirming the upload would do, with its form."""
    checked = pending.checked
    refused = [
        (number, [problem.message() for problem in problems])
        for number, problems in checked.refused[:SHOWN_PROBLEMS]
    ]
    return (
        render_template(
            "volunteers/import_preview.html",
            form=form,
            importable=len(checked.rows),
            refused=refused,
            refused_count=len(checked.refused),
            notes=imports.note_messages(checked),
            counts=imports.count(checked.rows, current_user),
            confirm_url=url_for("jobs.volunteer_import")
            if runs_as_job(pending)
            else url_for("volunteers.import_confirm"),
        ),
        status,
    )


@bp.get("/volunteers/import")
@login_required
@role_required(*ORGANIZERS)
def import_start():
    """The upload form, with the template to download."""
    return start_page(ImportUploadForm())


@bp.get("/volunteers/import/template.xlsx")
@login_required
@role_required(*ORGANIZERS)
def import_template():
    """The .xlsx template with the Chinese headers."""
    return send_file(
        io.BytesIO(imports.template_workbook()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="志愿者导入模板.xlsx",
    )


@bp.post("/volunteers/import")
@login_required
@role_required(*ORGANIZERS)
@reads_first  # checking a file only reads: SQLite's write lock is not taken
def import_preview():
    """Check an uploaded file and show what an import would do; nothing is written."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return start_page(form, 400)
    upload = form.file.data
    data = upload.read()
    now = utcnow()
    try:
        checked = imports.check_rows(
            imports.read_table(data, upload.filename or ""),
            units=imports.station_names(current_user),
            today=utc_to_local(now).date(),
            collect_id_numbers=current_app.config["COLLECT_ID_NUMBERS"],
        )
    except ImportFileError as error:
        form.file.errors.append(error.message)
        return start_page(form, error.status)
    file_sha256 = imports.file_hash(data)
    pending = pending_store().save(current_user, checked, file_sha256=file_sha256, now=now)
    return preview_page(pending, ImportConfirmForm(formdata=None, token=pending.token))


@bp.post("/volunteers/import/confirm")
@login_required
@role_required(*ORGANIZERS)
def import_confirm():
    """Import the rows of an upload checked before, in this request's one transaction.

    Above IMPORT_JOB_THRESHOLD rows the preview's form posts to ``jobs.volunteer_import``
    instead (a job applies the rows in chunks); a post of such an upload here goes there.
    """
    form = ImportConfirmForm()
    now = utcnow()
    store = pending_store()
    try:
        pending = store.load(form.token.data or "", current_user, now=now)
        if not form.validate_on_submit():
            return preview_page(pending, form, 400)
        if not pending.checked.rows:
            raise ImportFileError("nothing_to_import")
        if runs_as_job(pending):
            # a large import is applied by a background job: its route takes the same form
            return redirect(url_for("jobs.volunteer_import"), 307)
        counts = imports.apply(
            pending.checked.rows,
            current_user,
            now=now,
            consent_version="imp-" + current_app.config["CONSENT_VERSION"],
            file_sha256=pending.file_sha256,
        )
    except ImportFileError as error:
        flash(error.message, "error")
        return start_page(ImportUploadForm(formdata=None), error.status)
    store.discard(pending.token)
    flash(
        _(
            "Imported: %(people)s new volunteers, %(numbers)s new numbers, %(linked)s rows "
            "linked to numbers registered before.",
            people=counts.new_people,
            numbers=counts.new_numbers,
            linked=counts.linked_rows,
        ),
        "success",
    )
    return redirect(url_for("volunteers.import_start"))
