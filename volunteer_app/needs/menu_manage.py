"""The organizer's service menu (服务菜单 / 项目库, ``/needs/menu``): the items of their units,
with what is left to book and whether they are on the menu; adding, editing, withdrawing
and restoring one (``needs/menu.py``, each change audited).

Items are reached through ``scoping.menu_item_or_404`` (of a unit the organizer manages) and
the item's unit through ``unit_or_404``, so another centre's item or unit is a 404. The
provider is chosen among the active teams the organizer may name for an activity
(``activity_team_choices``); the rules check it may serve the item's unit.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Category
from volunteer_app.auth.scoping import (
    activity_team_choices,
    menu_item_or_404,
    scoped_menu_items,
    unit_or_404,
    visible_units,
)
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.forms import ActionForm, show_errors
from volunteer_app.needs import bp, menu, menu_rules
from volunteer_app.needs.forms import MenuItemForm
from volunteer_app.needs.labels import AUDIENCE_LABELS
from volunteer_app.needs.models import ServiceItem
from volunteer_app.params import parse_id
from volunteer_app.stations.models import Unit


def _fill(form: MenuItemForm, item: ServiceItem | None = None) -> None:
    """The pickers: the organizer's live units, the categories, the audiences, the teams
    they may name (an edited item's own team too, should it be disabled since)."""
    form.unit.choices = [(u.id, u.name) for u in visible_units(current_user)]
    lang = str(get_locale())
    categories = db.session.scalars(select(Category).order_by(Category.sort_order))
    form.category.choices = [(c.id, c.display_name(lang)) for c in categories]
    form.audience.choices = [(code, str(label)) for code, label in AUDIENCE_LABELS.items()]
    teams = activity_team_choices(current_user)
    if item is not None and item.team_id not in {t.id for t in teams}:
        teams.insert(0, item.team)
    form.team.choices = [(t.id, f"{t.name}（{t.unit.name}）") for t in teams]


def _form_page(form: MenuItemForm, item: ServiceItem | None, status: int = 200):
    page = render_template("needs/menu_form.html", form=form, item=item)
    return page, status


def _id(value: int | None) -> int | None:
    """A picker's value as a row id, None for one no table can hold."""
    return parse_id(str(value)) if value is not None else None


def _values(form: MenuItemForm) -> dict:
    """The form's values as the menu services take them."""
    return {
        "team_id": _id(form.team.data),
        "category_id": _id(form.category.data),
        "title": form.title.data or "",
        "description": form.description.data or "",
        "audience": form.audience.data or "",
        "remaining": form.remaining.data,
    }


def _refused(form: MenuItemForm, item: ServiceItem | None):
    """A posted form its own validators refused: the rules' problems are shown beside the
    other fields too, so every problem is seen at once (400)."""
    unit = next((u for u in visible_units(current_user) if u.id == form.unit.data), None)
    if unit is not None:
        values = _values(form)
        if form.remaining.errors:
            values["remaining"] = None
        try:
            menu.check_item(current_user, unit, **values)
        except DomainError as error:
            show_errors(form, error.problems or {}, {})
    return _form_page(form, item, 400)


@bp.get("/needs/menu")
@login_required
def menu_index():
    """The menu items of the organizer's units, live ones first, with what is left."""
    items = list(
        db.session.scalars(
            scoped_menu_items(current_user)
            .options(joinedload(ServiceItem.unit), joinedload(ServiceItem.team))
            .join(Unit, Unit.id == ServiceItem.unit_id)
            .order_by(
                ServiceItem.withdrawn_at.is_not(None), Unit.level, Unit.name, ServiceItem.title
            )
        )
    )
    return render_template(
        "needs/menu_index.html",
        items=items,
        audience_labels=AUDIENCE_LABELS,
        is_bookable=menu_rules.is_bookable,
        action_form=ActionForm(formdata=None),
    )


def _chosen_unit(form: MenuItemForm, *, keep: int | None = None) -> Unit:
    """The unit the form puts the item on: one of the organizer's, live (or the one the item
    is on already, ``keep``, archived since); 404 otherwise, as for any unit out of reach."""
    unit_id = _id(form.unit.data)
    if unit_id is None:
        abort(404)
    unit = unit_or_404(current_user, unit_id)
    if unit.archived_at is not None and unit.id != keep:
        abort(404)
    return unit


@bp.route("/needs/menu/new", methods=["GET", "POST"])
@login_required
def menu_new():
    """Add a service to the menu of one of the organizer's units (their own by default)."""
    form = MenuItemForm()
    _fill(form)
    if request.method == "GET":
        form.unit.data = parse_id(request.args.get("unit")) or current_user.unit_id
        form.audience.data = menu_rules.DEFAULT_AUDIENCE
    if form.is_submitted() and not form.validate():
        return _refused(form, None)
    if not form.is_submitted():
        return _form_page(form, None)
    unit = _chosen_unit(form)
    try:
        item = menu.create_item(current_user, unit, **_values(form), now=utcnow())
    except DomainError as error:
        show_errors(form, error.problems or {"": error}, {})
        return _form_page(form, None, error.status)
    flash(_("%(title)s is on the menu.", title=item.title), "success")
    return redirect(url_for("needs.menu_index"))


@bp.route("/needs/menu/<int:item_id>", methods=["GET", "POST"])
@login_required
def menu_edit(item_id: int):
    """Edit a menu item: its unit, provider, audience, or the times left to book."""
    item = menu_item_or_404(current_user, item_id)
    form = MenuItemForm(obj=None)
    if request.method == "GET":
        form = MenuItemForm(
            formdata=None,
            unit=item.unit_id,
            title=item.title,
            category=item.category_id,
            audience=item.audience,
            team=item.team_id,
            description=item.description,
            remaining=item.remaining,
        )
    _fill(form, item)
    if form.is_submitted() and not form.validate():
        return _refused(form, item)
    if not form.is_submitted():
        return _form_page(form, item)
    unit = _chosen_unit(form, keep=item.unit_id)
    try:
        menu.update_item(current_user, item, unit, **_values(form), now=utcnow())
    except DomainError as error:
        show_errors(form, error.problems or {"": error}, {})
        return _form_page(form, item, error.status)
    flash(_("%(title)s saved.", title=item.title), "success")
    return redirect(url_for("needs.menu_index"))


def _acted(item_id: int) -> ServiceItem:
    """The item (404 outside the organizer's scope) of a posted button; 400 without a
    valid form (its CSRF token)."""
    item = menu_item_or_404(current_user, item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return item


@bp.post("/needs/menu/<int:item_id>/withdraw")
@login_required
def menu_withdraw(item_id: int):
    """Take the item off the menu (orders made from it go on)."""
    item = menu.withdraw_item(current_user, _acted(item_id), now=utcnow())
    flash(_("%(title)s withdrawn from the menu.", title=item.title), "success")
    return redirect(url_for("needs.menu_index"))


@bp.post("/needs/menu/<int:item_id>/restore")
@login_required
def menu_restore(item_id: int):
    """Put a withdrawn item back on the menu."""
    item = menu.restore_item(current_user, _acted(item_id), now=utcnow())
    flash(_("%(title)s is back on the menu.", title=item.title), "success")
    return redirect(url_for("needs.menu_index"))
