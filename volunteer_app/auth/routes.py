"""Organizer sign-in and sign-out, and the organizer's own password."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from volunteer_app.auth import bp, sessions
from volunteer_app.auth.forms import LoginForm, OwnPasswordForm
from volunteer_app.auth.models import User
from volunteer_app.auth.services import change_own_password, sign_in, sign_out_everywhere
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import limiter, login_manager
from volunteer_app.links import safe_next
from volunteer_app.transactions import reads_first

#: What an organizer whose password was set by the level above may still reach.
OPEN_WHILE_PASSWORD_IS_NOT_OWN = {
    "auth.change_password",
    "auth.logout",
    "static",
    "assets.hashed",
    "pwa.manifest",
    "pwa.service_worker",
    "pwa.offline",
    "health.healthz",
}


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """The organizer of the live session the cookies name (see auth.sessions)."""
    return sessions.load(session_key, now=utcnow())


@bp.before_app_request
def require_own_password():
    """Send an organizer whose password the level above chose to the change page first."""
    if request.endpoint is None or request.endpoint in OPEN_WHILE_PASSWORD_IS_NOT_OWN:
        return None
    if request.blueprint == "api":  # bearer tokens, not sessions
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@reads_first
def login():
    """Sign an organizer in."""
    if current_user.is_authenticated:
        return redirect(url_for("activities.index"))
    form = LoginForm()
    if form.validate_on_submit():
        remember = bool(form.remember.data)
        try:
            user = sign_in(
                form.username.data,
                form.password.data,
                remember=remember,
                user_agent=request.user_agent.string,
                now=utcnow(),
            )
        except DomainError as error:
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), error.status
        duration = sessions.lifetime(remember=True) if remember else None
        login_user(user, remember=remember, duration=duration)
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(safe_next(request.args.get("next")) or url_for("activities.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign the organizer out on every device."""
    sign_out_everywhere(current_user, now=utcnow())
    logout_user()
    flash(_("You have signed out on all your devices."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@reads_first
def change_password():
    """The organizer chooses a new password of their own."""
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(
                current_user,
                current=form.current_password.data,
                new=form.new_password.data,
                confirm=form.confirm.data,
                now=utcnow(),
            )
        except DomainError as error:
            form.form_errors.append(error.message)
            status = error.status
        else:
            flash(
                _("Your password has been changed. Other devices have been signed out."),
                "success",
            )
            return redirect(url_for("activities.index"))
    else:
        status = 400 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status
