"""Account management in the console: the level above creates organizer accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from volunteer_app.auth import bp, rules
from volunteer_app.auth.forms import AccountForm, ActiveForm, PasswordResetForm
from volunteer_app.auth.models import Role, User
from volunteer_app.auth.scoping import account_or_404, visible_units
from volunteer_app.auth.services import (
    ROLE_LEVEL,
    create_account,
    manageable_accounts,
    reset_password,
    set_active,
)
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.stations.models import UnitLevel

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
        except DomainError as error:
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
            manageable_roles=roles,
        ),
        status,
    )


def _account_or_404(user_id: int) -> User:
    """An account the signed-in organizer may manage; 404 otherwise."""
    _roles_or_404()
    return account_or_404(current_user, user_id)


@bp.post("/accounts/<int:user_id>/active")
@login_required
def set_account_active(user_id: int):
    """Disable or re-enable an account of the level below."""
    target = _account_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_active(current_user, target, form.active.data == "1", now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
    else:
        message = (
            _("Account %(username)s enabled.", username=target.username)
            if target.is_active
            else _(
                "Account %(username)s disabled: it can no longer sign in.", username=target.username
            )
        )
        flash(message, "success")
    return redirect(url_for("auth.accounts"))


@bp.route("/accounts/<int:user_id>/password", methods=["GET", "POST"])
@login_required
def reset_account_password(user_id: int):
    """Give an account of the level below a new initial password."""
    target = _account_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            reset_password(current_user, target, form.password.data, now=utcnow())
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("New password set for %(username)s.", username=target.username), "success")
            return redirect(url_for("auth.accounts"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, target=target), status
