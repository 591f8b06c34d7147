"""The organizer's volunteer roster: the list with search, filters, pages and exports; the
detail view; correcting a name or number; merging two records of one person.

Every volunteer named here is loaded through ``auth.scoping`` (the list through
``visible_volunteer_ids``, one person through ``volunteer_or_404``); the SQL is in
``roster_queries``, the changes in ``roster_services``, the rules in ``roster_rules``.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.auth.scoping import visible_units, volunteer_in_scope, volunteer_or_404
from volunteer_app.checkins.models import HoursStatus
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.formatting import mask_phone
from volunteer_app.localtime import local_to_utc, utc_to_local
from volunteer_app.params import parse_id, parse_int
from volunteer_app.spreadsheets import ColumnSpec, local_naive, send_spreadsheet
from volunteer_app.volunteers import bp, records, stars
from volunteer_app.volunteers import roster_queries as queries
from volunteer_app.volunteers import roster_services as services
from volunteer_app.volunteers.forms import MergeForm, RosterFilterForm, VolunteerEditForm
from volunteer_app.volunteers.imports import mask_id_number
from volunteer_app.volunteers.models import Volunteer
from volunteer_app.volunteers.roster_rules import RosterError, parse_search


def _year_start(now: datetime) -> datetime:
    """The first moment of the local calendar year of ``now``, in UTC."""
    local = utc_to_local(now)
    return local_to_utc(datetime(local.year, 1, 1))


def _thresholds() -> tuple[int, ...]:
    return stars.thresholds_for(records.star_preset())


def _filter_form(thresholds: tuple[int, ...]) -> RosterFilterForm:
    """The roster's search form over the query string, with the organizer's choices."""
    form = RosterFilterForm(request.args)
    form.unit.choices = [("", _("All stations"))] + [
        (str(u.id), u.name) for u in visible_units(current_user)
    ]
    form.stars.choices = [("", _("Any star level"))] + [
        (str(n), f"{n}★" if n else _("No star yet")) for n in range(len(thresholds) + 1)
    ]
    return form


def _filters(form: RosterFilterForm) -> queries.RosterFilters:
    """The filters a valid form names (RosterError for a bad search)."""
    return queries.RosterFilters(
        search=parse_search(form.q.data),
        unit_id=parse_id((form.unit.data or "").strip()),
        stars=parse_int((form.stars.data or "").strip(), low=0, high=99),
        active_since=_year_start(utcnow()) if form.active.data else None,
    )


def _query_args() -> dict[str, str]:
    """The roster's filters as they came, for the page links and the export links."""
    return {k: v for k, v in request.args.items() if k in ("q", "unit", "stars", "active") and v}


@bp.get("/volunteers")
@login_required
def roster():
    """The volunteers this organizer may see, searched, filtered and paged."""
    thresholds = _thresholds()
    form = _filter_form(thresholds)
    page = None
    status = 200
    if form.validate():
        try:
            statement = queries.roster_statement(current_user, _filters(form), thresholds)
            page = queries.roster_page(statement, request.args.get("page", 1, type=int))
        except RosterError as error:
            form.q.errors = [error.message]
            status = error.status
    else:
        status = 400
    return (
        render_template(
            "volunteers/roster.html",
            form=form,
            page=page,
            args=_query_args(),
            star_of=lambda minutes: stars.compute_star_level(minutes, thresholds).stars,
        ),
        status,
    )


def _columns() -> list[ColumnSpec]:
    return [
        ColumnSpec(_("Number"), 8, "int"),
        ColumnSpec(_("Name"), 14),
        ColumnSpec(_("Mobile number"), 15),
        ColumnSpec(_("Station"), 20),
        ColumnSpec(_("Confirmed hours (h)"), 12, "hours"),
        ColumnSpec(_("Pending hours (h)"), 12, "hours"),
        ColumnSpec(_("Star level"), 8, "int"),
        ColumnSpec(_("Last activity"), 12, "date"),
    ]


@bp.get("/volunteers.<any(xlsx, csv):fmt>")
@login_required
def roster_export(fmt: str):
    """Download the filtered roster (phone numbers masked)."""
    thresholds = _thresholds()
    form = _filter_form(thresholds)
    try:
        filters = _filters(form) if form.validate() else None
    except RosterError:
        filters = None
    if filters is None:  # the roster page says what is wrong with them
        return redirect(url_for("volunteers.roster", **_query_args()))
    statement = queries.roster_statement(current_user, filters, thresholds)
    # ID numbers leave the app only where the district has decided so (EXPORT_ID_NUMBERS).
    with_ids = current_app.config["EXPORT_ID_NUMBERS"]
    columns = _columns() + ([ColumnSpec(_("ID number"), 20)] if with_ids else [])

    def lines():
        for r in queries.roster_rows(statement):
            line = [
                r.id,
                r.name,
                mask_phone(r.phone),
                r.station or "",
                r.confirmed / 60,
                r.pending / 60,
                stars.compute_star_level(r.all_confirmed, thresholds).stars,
                local_naive(r.last_at),
            ]
            yield [*line, r.id_number or ""] if with_ids else line

    filename = f"{_('Volunteers')}_{utc_to_local(utcnow()).date().isoformat()}"
    return send_spreadsheet(fmt, filename, _("Volunteers"), columns, lines)


def _detail(volunteer: Volunteer, edit_form=None, merge_form=None, status: int = 200):
    """The detail page of a volunteer of this organizer's (with forms as they were sent)."""
    records_ = queries.records_here(current_user, volunteer.id)
    if edit_form is None:
        edit_form = VolunteerEditForm(formdata=None, name=volunteer.name, phone=volunteer.phone)
    return (
        render_template(
            "volunteers/roster_detail.html",
            volunteer=volunteer,
            id_number=mask_id_number(volunteer.id_number) if volunteer.id_number else None,
            records=records_,
            confirmed=sum(r.minutes for r in records_ if r.status == HoursStatus.CONFIRMED),
            pending=sum(r.minutes for r in records_ if r.status != HoursStatus.CONFIRMED),
            corrections=queries.corrections_here(current_user, volunteer.id),
            certificates=queries.certificate_count(volunteer.id),
            station=queries.station_name(volunteer),
            star=stars.compute_star_level(queries.confirmed_minutes(volunteer.id), _thresholds()),
            household=queries.household_view(current_user, volunteer),
            candidates=queries.same_name_candidates(current_user, volunteer),
            edit_form=edit_form,
            merge_form=merge_form or MergeForm(formdata=None),
        ),
        status,
    )


@bp.get("/volunteers/<int:volunteer_id>")
@login_required
def roster_detail(volunteer_id: int):
    """One volunteer: full number, household size, records and requests at my units."""
    return _detail(volunteer_or_404(current_user, volunteer_id))


@bp.post("/volunteers/<int:volunteer_id>/edit")
@login_required
def roster_edit(volunteer_id: int):
    """Correct a volunteer's name or number (with a reason; audited)."""
    volunteer = volunteer_or_404(current_user, volunteer_id)
    form = VolunteerEditForm()
    if not form.validate_on_submit():
        return _detail(volunteer, edit_form=form, status=400)
    try:
        services.edit_identity(
            current_user,
            volunteer,
            name=form.name.data,
            phone=form.phone.data,
            reason=form.reason.data.strip(),
            now=utcnow(),
        )
    except DomainError as error:
        flash(error.message, "error")
        return _detail(volunteer, edit_form=form, status=error.status)
    flash(_("Volunteer details saved."), "success")
    return redirect(url_for("volunteers.roster_detail", volunteer_id=volunteer.id))


@bp.post("/volunteers/<int:volunteer_id>/merge")
@login_required
def roster_merge(volunteer_id: int):
    """Merge another record of the same person into this one (audited)."""
    kept = volunteer_or_404(current_user, volunteer_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return _detail(kept, merge_form=form, status=400)
    merged = volunteer_in_scope(current_user, form.other.data)
    try:
        if merged is None:
            raise RosterError("not_found", status=404)
        result = services.merge(
            current_user, kept, merged, reason=form.reason.data.strip(), now=utcnow()
        )
    except DomainError as error:
        flash(error.message, "error")
        return _detail(kept, merge_form=form, status=error.status)
    flash(
        _(
            "Merged: %(checkins)s records, %(signups)s sign-ups and %(certificates)s "
            "certificates moved to this volunteer.",
            checkins=result.checkins,
            signups=result.signups,
            certificates=result.certificates,
        ),
        "success",
    )
    return redirect(url_for("volunteers.roster_detail", volunteer_id=kept.id))
