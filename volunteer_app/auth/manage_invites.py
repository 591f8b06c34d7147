"""Invite links: organizers make, list, revoke and export them; the invitee accepts one.

The organizer pages answer 404 to a station organizer (who may not invite), like the
accounts page. The invitee's page ``/invite/<token>`` is anonymous and rate-limited per
address; every link that does not open a live invite gets the same 404 page.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from volunteer_app.auth import bp, invites
from volunteer_app.auth.accounts import ROLE_LABELS
from volunteer_app.auth.forms import AcceptInviteForm, InviteForm, PlainForm, StationInvitesForm
from volunteer_app.auth.models import Invite
from volunteer_app.auth.scoping import invite_or_404, unit_or_404, visible_units
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError, render_error
from volunteer_app.extensions import limiter
from volunteer_app.links import public_url
from volunteer_app.qr import render_svg
from volunteer_app.spreadsheets import ColumnSpec, send_spreadsheet
from volunteer_app.stations.models import UnitLevel
from volunteer_app.transactions import reads_first


def _inviter_or_404() -> None:
    """404 unless the signed-in organizer may send invites (not a station organizer)."""
    if not invites.may_invite(current_user.role.value):
        abort(404)


def _link(raw: str) -> str:
    """The absolute link an invitee opens."""
    return public_url("auth.accept_invite", token=raw)


def _role_label(role: str) -> str:
    return str(ROLE_LABELS[role])


def _forms() -> tuple[InviteForm, StationInvitesForm]:
    """The two forms of the invites page, with the units this organizer manages."""
    form = InviteForm()
    batch = StationInvitesForm()
    units = visible_units(current_user)
    form.unit_id.choices = [
        (u.id, f"{u.name} → {_role_label(invites.ROLE_FOR_LEVEL[u.level.value])}") for u in units
    ]
    batch.centre_id.choices = [(u.id, u.name) for u in units if u.level == UnitLevel.CENTRE]
    return form, batch


def _no_store(response):
    """Pages that show a link's token are never kept by a browser or proxy cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _invites_page(form, batch, *, new=None, status: int = 200):
    now = utcnow()
    rows = [
        (
            invite,
            invites.compute_state(
                used_at=invite.used_at,
                revoked_at=invite.revoked_at,
                expires_at=invite.expires_at,
                now=now,
                maker_active=invite.created_by.is_active,
            ),
        )
        for invite in invites.invites_of(current_user)
    ]
    response = make_response(
        render_template(
            "auth/invites.html",
            form=form,
            batch=batch,
            plain=PlainForm(),
            rows=rows,
            new=new,
            role_labels=ROLE_LABELS,
        ),
        status,
    )
    return _no_store(response)


@bp.route("/accounts/invites", methods=["GET", "POST"])
@login_required
def invites_index():
    """The invites for this organizer's units, and a new invite link for one unit."""
    _inviter_or_404()
    form, batch = _forms()
    if request.method == "POST":
        if form.validate_on_submit():
            unit = unit_or_404(current_user, form.unit_id.data)
            try:
                invite, raw = invites.create_invite(
                    current_user,
                    unit_id=unit.id,
                    display_name=form.display_name.data or "",
                    note=form.note.data or "",
                    days=form.days.data,
                    now=utcnow(),
                )
            except DomainError as error:
                form.form_errors.append(error.message)
            else:
                link = _link(raw)
                new = {"invite": invite, "link": link, "qr_svg": render_svg(link)}
                form, batch = _forms()
                form.process(formdata=None)
                return _invites_page(form, batch, new=new)
        return _invites_page(form, batch, status=400)
    return _invites_page(form, batch)


@bp.post("/accounts/invites/stations")
@login_required
def invite_stations():
    """One invite link for each station of a centre that has no organizer yet."""
    _inviter_or_404()
    form, batch = _forms()
    if not batch.validate_on_submit():
        return _invites_page(form, batch, status=400)
    centre = unit_or_404(current_user, batch.centre_id.data)
    try:
        result = invites.create_station_invites(
            current_user, centre_id=centre.id, days=batch.days.data, now=utcnow()
        )
    except DomainError as error:
        batch.form_errors.append(error.message)
        return _invites_page(form, batch, status=error.status)
    links = [(invite, _link(raw), raw) for invite, raw in result.created]
    response = make_response(
        render_template(
            "auth/invite_links.html",
            result=result,
            links=links,
            plain=PlainForm(),
            role_labels=ROLE_LABELS,
        )
    )
    return _no_store(response)


@bp.post("/accounts/invites/links.xlsx")
@login_required
@reads_first
def invite_links_xlsx():
    """The links just made, as a spreadsheet: unit, role, link, valid until (no passwords).

    The tokens come back from the page that showed them (they are stored nowhere else);
    only those of live invites for this organizer's units are written.
    """
    _inviter_or_404()
    if not PlainForm().validate_on_submit():
        abort(400)
    found = invites.live_links(current_user, request.form.getlist("token"), now=utcnow())
    if not found:
        flash(_("None of these links can still be used."), "error")
        return redirect(url_for("auth.invites_index"))
    rows = [
        (
            invite.unit.name,
            _role_label(invite.role.value),
            _link(raw),
            format_datetime(invite.expires_at, "yyyy-MM-dd HH:mm"),
        )
        for invite, raw in found
    ]
    columns = [
        ColumnSpec(_("Unit"), 28),
        ColumnSpec(_("Role"), 14),
        ColumnSpec(_("Invite link"), 80),
        ColumnSpec(_("Valid until"), 18),
    ]
    # Passwords are never in it: each invitee chooses their own.
    return send_spreadsheet("xlsx", "invite-links", _("Invite links"), columns, lambda: rows)


@bp.post("/accounts/invites/<int:invite_id>/revoke")
@login_required
def revoke_invite(invite_id: int):
    """Revoke an open invite of one of this organizer's units."""
    _inviter_or_404()
    invite = invite_or_404(current_user, invite_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        invites.revoke_invite(current_user, invite, now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            _("Invite for %(unit)s revoked: its link no longer works.", unit=invite.unit.name),
            "success",
        )
    return redirect(url_for("auth.invites_index"))


def _invalid_link():
    """The one answer for a used, expired, revoked or made-up link."""
    return _no_store(
        make_response(render_error(404, invites.InviteError("invalid").message, "invalid"))
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["INVITE_RATE_LIMIT"])
@reads_first
def accept_invite(token: str):
    """The invitee chooses a username and password; the account is created and signed in."""
    invite: Invite | None = invites.live_invite(token, now=utcnow())
    if invite is None:
        return _invalid_link()
    signed_in = current_user.is_authenticated
    form = AcceptInviteForm()
    if request.method == "GET" and not form.display_name.data:
        form.display_name.data = invite.display_name
    status = 200
    if signed_in:
        form.form_errors.append(invites.InviteError("signed_in").message)
        status = 409 if request.method == "POST" else 200
    elif form.validate_on_submit():
        try:
            user = invites.accept_invite(
                token,
                display_name=form.display_name.data,
                username=form.username.data,
                password=form.password.data,
                confirm=form.confirm.data,
                user_agent=request.user_agent.string,
                now=utcnow(),
            )
        except invites.InviteError as error:
            if error.code == "invalid":
                return _invalid_link()
            form.form_errors.append(error.message)
            status = error.status
        except DomainError as error:
            form.form_errors.append(error.message)
            status = error.status
        else:
            login_user(user)
            flash(
                _(
                    "Welcome, %(name)s: your account for %(unit)s is ready.",
                    name=user.display_name,
                    unit=invite.unit.name,
                ),
                "success",
            )
            return redirect(url_for("activities.index"))
    elif request.method == "POST":
        status = 400
    response = make_response(
        render_template(
            "auth/accept_invite.html",
            form=form,
            invite=invite,
            role_label=_role_label(invite.role.value),
            signed_in=signed_in,
        ),
        status,
    )
    return _no_store(response)
