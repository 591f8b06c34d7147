"""Organizer sign-in and sign-out."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from volunteer_app.auth import bp, lockout
from volunteer_app.auth.forms import LoginForm
from volunteer_app.auth.models import User
from volunteer_app.auth.services import authenticate
from volunteer_app.extensions import db, limiter, login_manager
from volunteer_app.links import safe_next


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the signed-in organizer from the session."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign an organizer in."""
    if current_user.is_authenticated:
        return redirect(url_for("activities.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data
        if lockout.is_locked(username):
            flash(_("Too many failed attempts. Please wait 15 minutes and try again."), "error")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(username, form.password.data)
        if user is not None:
            lockout.clear(username)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("activities.index"))
        lockout.record_failure(username)
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign the organizer out."""
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
