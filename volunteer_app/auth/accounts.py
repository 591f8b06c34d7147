"""Account management in the console: the level above creates organizer accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..stations.models import UnitLevel
from . import bp, rules
from .forms import AccountForm
from .models import Role
from .scoping import visible_units
from .services import ROLE_LEVEL, create_account, manageable_accounts

ROLE_LABELS = {
    Role.DISTRICT_ADMIN.value: _l("District admin"),
    Role.CENTRE_ORGANIZER.value: _l("Centre organizer"),
    Role.STATION_ORGANIZER.value: _l("Station organizer"),
}

LEVEL_LABELS = {
    UnitLevel.DISTRICT.value: _l("District practice centre"),
    UnitLevel.CENTRE.value: _l("Practice centre"),
    UnitLevel.STATION.value: _l("Practice station"),
}


def _roles_or_404() -> tuple[str, ...]:
    """The roles the signed-in organizer may create; a 404 if none (station organizers)."""
    roles = rules.creatable_roles(current_user.role.value)
    if not roles:
        abort(404)
    return roles


@bp.route("/accounts", methods=["GET", "POST"])
@login_required
def accounts():
    """List the accounts in this organizer's scope and create one for the level below."""
    roles = _roles_or_404()
    form = AccountForm()
    form.role.choices = [(r, ROLE_LABELS[r]) for r in roles]
    levels = {ROLE_LEVEL[Role(r)] for r in roles}
    form.unit_id.choices = [
        (u.id, f"{u.name}（{LEVEL_LABELS[u.level.value]}）")
        for u in visible_units(current_user)
        if u.level in levels
    ]
    if form.validate_on_submit():
        try:
            user = create_account(
                current_user,
                username=form.username.data,
                password=form.password.data,
                role=Role(form.role.data),
                unit_id=form.unit_id.data,
                display_name=form.display_name.data,
                now=utcnow(),
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            flash(
                _(
                    "Account %(username)s created for %(unit)s.",
                    username=user.username,
                    unit=user.unit.name,
                ),
                "success",
            )
            return redirect(url_for("auth.accounts"))
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "auth/accounts.html",
            form=form,
            users=manageable_accounts(current_user),
            role_labels=ROLE_LABELS,
        ),
        status,
    )
