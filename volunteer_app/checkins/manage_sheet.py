"""A paper sign-in sheet entered after the activity: typed on one screen or uploaded as
.xlsx/.csv, checked (nothing written), then confirmed in one transaction.

The rules are in ``sheet_rules``, the service in ``sheets``; these views move the lines
and the token between the organizer and them. Every handler loads the activity through
``activity_or_404``, so another unit's activity is a 404.
"""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from volunteer_app import uploads
from volunteer_app.activities.models import Activity
from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.checkins import bp, sheets
from volunteer_app.checkins.sheet_rules import (
    HEADERS,
    MAX_LINES,
    Line,
    SheetError,
    lines_from_table,
    validate_reason,
)
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.localtime import local_zone
from volunteer_app.params import parse_int
from volunteer_app.transactions import reads_first
from volunteer_app.volunteers import identity

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Empty lines the typed sheet offers at first, and at most (more: upload the file).
LINES_SHOWN, LINES_MAX = 20, 100
#: Longest text accepted in one typed cell (a name is 50 characters at most).
CELL_MAX = 100


class SheetForm(FlaskForm):
    """The typed sheet's one reason (the lines are the repeated name/phone/hours fields)."""

    reason = TextAreaField(
        _l("Reason for the whole sheet"),
        validators=[
            DataRequired(_l("Please give one reason for the whole sheet.")),
            Length(max=500),
        ],
        render_kw={"maxlength": 500, "rows": 2},
    )


class SheetUploadForm(FlaskForm):
    """The sheet as a file, and its one reason."""

    file = FileField(
        _l("Sign-in sheet (.xlsx or .csv)"),
        validators=[FileRequired(_l("Please choose a file."))],
        render_kw={"accept": ".xlsx,.csv"},
    )
    reason = TextAreaField(
        _l("Reason for the whole sheet"),
        validators=[
            DataRequired(_l("Please give one reason for the whole sheet.")),
            Length(max=500),
        ],
        render_kw={"maxlength": 500, "rows": 2},
    )


class SheetConfirmForm(FlaskForm):
    """Confirm a sheet checked before: its token, and consent for the walk-ins it registers."""

    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    consent = BooleanField(
        _l(
            "The new volunteers on this sheet agree that this station keeps their name, phone "
            "number and record."
        )
    )


def _typed_lines() -> list[Line]:
    """The typed lines (name, phone, hours repeated), cut to their field lengths; empty
    lines are left out, each keeps its place on the screen as its number."""
    names, phones = request.form.getlist("name"), request.form.getlist("phone")
    hours = request.form.getlist("hours")
    lines = []
    for index in range(min(max(len(names), len(phones), len(hours)), MAX_LINES + 1)):
        cells = [
            (values[index] if index < len(values) else "")[:CELL_MAX]
            for values in (names, phones, hours)
        ]
        if any(cell.strip() for cell in cells):
            lines.append(Line(index + 1, *cells))
    return lines


def _rows_wanted(lines: list[Line] | None = None) -> int:
    """How many typed lines to show: the ``rows`` asked for, room for the lines typed."""
    asked = parse_int(request.values.get("rows", ""), 1, LINES_MAX) or LINES_SHOWN
    if lines:
        asked = max(asked, min(lines[-1].number, LINES_MAX))
    return asked


def _page(
    activity: Activity,
    *,
    form: SheetForm | None = None,
    upload: SheetUploadForm | None = None,
    lines: list[Line] | None = None,
    planned=None,
    confirm: SheetConfirmForm | None = None,
    error: str | None = None,
    status: int = 200,
):
    """The sheet page: the typed lines (kept as typed), the upload, and a check's result."""
    by_number = {line.number: line for line in lines or []}
    rows = _rows_wanted(lines)
    return (
        render_template(
            "checkins/sheet.html",
            activity=activity,
            form=form or SheetForm(formdata=None),
            upload=upload or SheetUploadForm(formdata=None, prefix="upload"),
            rows=[by_number.get(n) or Line(n, "", "", "") for n in range(1, rows + 1)],
            more_rows=min(rows + LINES_SHOWN, LINES_MAX) if rows < LINES_MAX else None,
            planned=planned,
            entered=[p for p in planned or [] if p.ok],
            refused=[p for p in planned or [] if not p.ok],
            new_count=sum(1 for p in planned or [] if p.kind == "new"),
            confirm=confirm,
            error=error,
        ),
        status,
    )


def _closed_error(activity: Activity) -> str | None:
    try:
        sheets.validate_open_for_sheet(activity, now=utcnow())
    except DomainError as error:
        return error.message
    return None


@bp.get("/activities/<int:activity_id>/sheet")
@login_required
def sheet(activity_id: int):
    """Enter a paper sign-in sheet: many lines on one screen, or its file."""
    activity = activity_or_404(current_user, activity_id)
    closed = _closed_error(activity)
    if closed:  # nothing can be entered yet (or ever): say so, and show no form to fill in
        not_ended = activity.status.value not in ("draft", "cancelled")
        return render_template(
            "checkins/sheet_closed.html", activity=activity, error=closed, not_ended=not_ended
        )
    return _page(activity)


@bp.get("/activities/<int:activity_id>/sheet/template.xlsx")
@login_required
def sheet_template(activity_id: int):
    """The sign-in sheet template (.xlsx) with the Chinese headers."""
    activity = activity_or_404(current_user, activity_id)
    return send_file(
        io.BytesIO(_template_workbook()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"签到表-{activity.id}.xlsx",
    )


def _template_workbook() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet_ = workbook.active
    sheet_.title = "签到表"
    sheet_.append(list(HEADERS))
    for cell in sheet_[1]:
        cell.font = Font(bold=True)
        sheet_.column_dimensions[cell.column_letter].width = 24
    sheet_.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("说明")
    for text in (
        _("One person a line: their name, their mobile number or its last 4 digits."),
        _("Hours: 2 or 2.5 (steps of 0.5), or the times 08:30-11:00; empty: the whole activity."),
        _("A full number nobody has registered registers a new volunteer (a walk-in)."),
    ):
        help_sheet.append([text])
    help_sheet.column_dimensions["A"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _preview(activity: Activity, lines: list[Line], reason: str, file_sha256: str, **page):
    """Check the lines and show what entering them would do; keeps them for the confirm."""
    now = utcnow()
    sheets.validate_open_for_sheet(activity, now=now)
    planned = sheets.check(activity, current_user, lines, zone=local_zone())
    if any(p.code == "number_taken" for p in planned):
        identity.note_probe()  # the answer tells that a number is registered
    confirm = None
    if any(p.ok for p in planned):
        token = sheets.SheetStore().save(
            current_user, activity, lines, reason=reason, file_sha256=file_sha256, now=now
        )
        confirm = SheetConfirmForm(formdata=None, token=token)
    return _page(activity, lines=lines, planned=planned, confirm=confirm, **page)


@bp.post("/activities/<int:activity_id>/sheet")
@login_required
@identity.probe_limit
@reads_first  # checking only reads
def sheet_preview(activity_id: int):
    """Check the typed lines and show what entering them would do; nothing is written."""
    activity = activity_or_404(current_user, activity_id)
    form = SheetForm()
    lines = _typed_lines()
    if not form.validate_on_submit():
        return _page(activity, form=form, lines=lines, status=400)
    try:
        reason = validate_reason(form.reason.data)
        return _preview(activity, lines, reason, "", form=form)
    except DomainError as error:
        return _page(activity, form=form, lines=lines, error=error.message, status=error.status)


@bp.post("/activities/<int:activity_id>/sheet/upload")
@login_required
@identity.probe_limit
@reads_first
def sheet_upload(activity_id: int):
    """Check an uploaded sheet and show what entering it would do; nothing is written."""
    activity = activity_or_404(current_user, activity_id)
    upload = SheetUploadForm(prefix="upload")
    if not upload.validate_on_submit():
        return _page(activity, upload=upload, status=400)
    data = upload.file.data.read()
    try:
        reason = validate_reason(upload.reason.data)
        rows = uploads.read_table(data, upload.file.data.filename or "", error=SheetError)
        lines = lines_from_table(rows)
        form = SheetForm(formdata=None, reason=reason)
        return _preview(activity, lines, reason, uploads.file_hash(data), form=form, upload=upload)
    except DomainError as error:
        upload.file.errors.append(error.message)
        return _page(activity, upload=upload, status=error.status)


@bp.post("/activities/<int:activity_id>/sheet/confirm")
@login_required
def sheet_confirm(activity_id: int):
    """Enter the lines of a sheet checked before, in this request's one transaction."""
    activity = activity_or_404(current_user, activity_id)
    form = SheetConfirmForm()
    back = url_for("activities.detail", activity_id=activity.id) + "#hours"
    if not form.validate_on_submit():
        flash(
            _("This sheet has expired or has been entered already. Please enter it again."), "error"
        )
        return redirect(url_for("checkins.sheet", activity_id=activity.id))
    now = utcnow()
    store = sheets.SheetStore()
    try:
        lines, reason = store.claim(form.token.data, current_user, activity, now=now)
        planned = sheets.check(activity, current_user, lines, zone=local_zone())
        if any(p.kind == "new" for p in planned) and not form.consent.data:
            # Put back: nothing was entered, the organizer ticks the consent and confirms.
            token = store.save(
                current_user, activity, lines, reason=reason, file_sha256="", now=now
            )
            confirm = SheetConfirmForm(formdata=None, token=token)
            confirm.consent.errors = [_("Please confirm the new volunteers' consent.")]
            return _page(
                activity,
                lines=lines,
                planned=planned,
                confirm=confirm,
                status=400,
                form=SheetForm(formdata=None, reason=reason),
            )
        entered = sheets.enter(
            activity, current_user, lines, reason=reason, zone=local_zone(), now=now
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("checkins.sheet", activity_id=activity.id))
    message = ngettext(
        "Sheet entered: hours added for %(num)d volunteers",
        "Sheet entered: hours added for %(num)d volunteers",
        entered.added,
    )
    if entered.registered:
        message += " · " + _("%(num)d registered as walk-ins", num=entered.registered)
    flash(message, "success")
    for row in entered.skipped:
        flash(
            _(
                "Line %(number)s, %(name)s: %(message)s",
                number=row.number,
                name=row.name or "—",
                message=row.message(),
            ),
            "error",
        )
    return redirect(back)
