"""The unit pages of the console: the tree with its figures, a unit's page, and adding,
editing, moving and archiving units.

Every handler loads the unit through ``unit_or_404``, so another centre's unit is a 404;
what the organizer may do with a unit they see is a 403 (its id is no secret to them).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from volunteer_app.auth.scoping import unit_or_404
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.forms import ActionForm
from volunteer_app.stations import bp, imports, rules, services
from volunteer_app.stations.forms import MoveForm, NewUnitForm, UnitDetailsForm
from volunteer_app.stations.models import Unit, UnitLevel

LEVEL_LABELS = {
    UnitLevel.DISTRICT.value: _l("District practice centre"),
    UnitLevel.CENTRE.value: _l("Practice centre"),
    UnitLevel.STATION.value: _l("Practice station"),
}


@bp.get("/units")
@login_required
def index():
    """The organizer's units as a tree, with each unit's figures."""
    tree = services.unit_tree(current_user, now=utcnow())
    return render_template(
        "stations/index.html",
        tree=tree,
        level_labels=LEVEL_LABELS,
        may_import=imports.may_import(current_user),
    )


def _crumbs(unit: Unit) -> list[Unit]:
    """The units above ``unit`` up to the organizer's own, top first."""
    crumbs: list[Unit] = []
    node = unit
    while node.id != current_user.unit_id and node.parent is not None:
        node = node.parent
        crumbs.append(node)
    return list(reversed(crumbs))


def _new_unit_form(unit: Unit) -> NewUnitForm:
    """The form to add a unit under ``unit``, its levels those the unit may hold."""
    form = NewUnitForm()
    form.level.choices = [(lv, LEVEL_LABELS[lv]) for lv in rules.child_levels(unit.level.value)]
    return form


def _move_form(unit: Unit) -> MoveForm | None:
    """The form to move ``unit``, if the organizer has somewhere to move it."""
    if unit.is_archived or not services.may_manage(current_user, unit):
        return None
    targets = services.move_targets(current_user, unit)
    if not targets:
        return None
    form = MoveForm()
    form.parent_id.choices = [(t.id, f"{t.name}（{LEVEL_LABELS[t.level.value]}）") for t in targets]
    return form


def _detail_page(unit: Unit, *, new_form=None, move_form=None, status: int = 200):
    """The unit's page, with the forms given (re-shown with their errors) or fresh ones."""
    manageable = services.may_manage(current_user, unit) and not unit.is_archived
    page = render_template(
        "stations/detail.html",
        unit=unit,
        crumbs=_crumbs(unit),
        children=services.children_of(unit),
        level_labels=LEVEL_LABELS,
        new_form=new_form or (_new_unit_form(unit) if services.may_add_under(unit) else None),
        move_form=move_form or _move_form(unit),
        manageable=manageable,
        archivable=manageable and unit.level != UnitLevel.DISTRICT,
        restorable=unit.is_archived and services.may_manage(current_user, unit),
    )
    return page, status


@bp.get("/units/<int:unit_id>")
@login_required
def detail(unit_id: int):
    """A unit's fields (its contact number in full), the units under it and its forms."""
    return _detail_page(unit_or_404(current_user, unit_id))


@bp.post("/units/<int:unit_id>/children")
@login_required
def add_child(unit_id: int):
    """Add a unit under this one."""
    unit = unit_or_404(current_user, unit_id)
    if not rules.child_levels(unit.level.value):
        abort(403)
    form = _new_unit_form(unit)
    if form.validate_on_submit():
        try:
            child = services.add_unit(
                current_user, unit, level=form.level.data, **form.details(), now=utcnow()
            )
        except DomainError as error:
            form.form_errors.append(error.message)
            return _detail_page(unit, new_form=form, status=error.status)
        flash(_("Unit %(name)s added.", name=child.name), "success")
        return redirect(url_for("stations.detail", unit_id=unit.id))
    return _detail_page(unit, new_form=form, status=400)


def _manageable_or_403(unit_id: int) -> Unit:
    """A unit the organizer sees (404 otherwise) and may change (403 otherwise)."""
    unit = unit_or_404(current_user, unit_id)
    if not services.may_manage(current_user, unit):
        abort(403)
    return unit


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: int):
    """Rename a unit and change its address, contact and introduction."""
    unit = _manageable_or_403(unit_id)
    form = UnitDetailsForm(obj=unit)
    if form.validate_on_submit():
        try:
            services.update_unit(current_user, unit, **form.details(), now=utcnow())
        except DomainError as error:
            form.form_errors.append(error.message)
            status = error.status
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("stations.detail", unit_id=unit.id))
    else:
        status = 400 if form.is_submitted() else 200
    page = render_template(
        "stations/edit.html", form=form, unit=unit, crumbs=_crumbs(unit), level_labels=LEVEL_LABELS
    )
    return page, status


@bp.post("/units/<int:unit_id>/move")
@login_required
def move(unit_id: int):
    """Move a station under another centre."""
    unit = _manageable_or_403(unit_id)
    form = _move_form(unit)
    if form is None:
        flash(str(rules.UnitError.messages["move_target_invalid"]), "error")
        return redirect(url_for("stations.detail", unit_id=unit.id))
    if form.validate_on_submit():
        try:
            services.move_unit(current_user, unit, form.parent_id.data, now=utcnow())
        except DomainError as error:
            form.form_errors.append(error.message)
            return _detail_page(unit, move_form=form, status=error.status)
        flash(
            _("%(name)s moved under %(parent)s.", name=unit.name, parent=unit.parent.name),
            "success",
        )
        return redirect(url_for("stations.detail", unit_id=unit.id))
    return _detail_page(unit, move_form=form, status=400)


@bp.post("/units/<int:unit_id>/archive")
@login_required
def archive(unit_id: int):
    """Archive a unit: it keeps its history and takes no new activities."""
    unit = _manageable_or_403(unit_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.archive_unit(current_user, unit, now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s archived.", name=unit.name), "success")
    return redirect(url_for("stations.detail", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/restore")
@login_required
def restore(unit_id: int):
    """Bring an archived unit back: it takes new activities again."""
    unit = _manageable_or_403(unit_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.restore_unit(current_user, unit, now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s restored: it takes new activities again.", name=unit.name), "success")
    return redirect(url_for("stations.detail", unit_id=unit.id))
