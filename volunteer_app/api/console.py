"""Console pages where an organizer creates, lists and revokes API tokens."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from volunteer_app.api import console_bp, services
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError


class TokenForm(FlaskForm):
    """Name a new token."""

    name = StringField(
        _l("What is it for?"),
        validators=[DataRequired(_l("Please give the token a name.")), Length(max=100)],
        render_kw={"placeholder": _l("e.g. kiosk at the school gate")},
    )
    submit = SubmitField(_l("Create token"))


class RevokeForm(FlaskForm):
    """CSRF-protected revoke button."""


@console_bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """List the organizer's tokens and create a new one (shown once)."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _, new_token = services.create_token(current_user, form.name.data, now=utcnow())
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            form = TokenForm(formdata=None)
    return render_template(
        "api/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=services.tokens_of(current_user),
        new_token=new_token,
    )


@console_bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of the organizer's own tokens."""
    if RevokeForm().validate_on_submit():
        services.revoke(current_user, token_id, now=utcnow())
        flash(_("Token revoked."), "success")
    return redirect(url_for("api_console.index"))
