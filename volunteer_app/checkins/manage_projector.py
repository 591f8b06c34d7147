"""Projector / kiosk mode: a rotating check-in QR, a live counter and the latest arrivals.

The page is rendered once; static/js/projector.js polls ``live.json`` every few seconds
for the counts and swaps the QR when its time step changes.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from volunteer_app import lan, qr
from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.checkins import bp, keys
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.services import window_for
from volunteer_app.checkins.tokens import current_step, issue_rotating_token, step_ends_at
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.formatting import format_hours
from volunteer_app.forms import ActionForm
from volunteer_app.links import public_url

#: How many recent arrivals the projector lists.
LATEST_COUNT = 8
#: How often the page asks for new counts (ms); the QR also changes at each step boundary.
POLL_MS = 3000


def rotating_url(activity: Activity, now: datetime) -> tuple[str, int]:
    """The check-in URL for the current time step, and that step."""
    step = current_step(now, activity.rotate_seconds)
    token = issue_rotating_token(current_app.config["SECRET_KEY"], activity.checkin_key, step)
    return public_url("checkins.scan", token=token), step


def public_name(name: str) -> str:
    """A name as shown on a shared screen: 李秀英 → 李*英, 王芳 → 王*, Anna Li → A*i."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


def live_state(activity: Activity, now: datetime, *, with_code: bool = True) -> dict:
    """Everything the projector shows, as plain JSON-ready values (code optional)."""
    records = db.session.scalars(
        select(CheckIn)
        .options(joinedload(CheckIn.volunteer))
        .where(CheckIn.activity_id == activity.id)
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
    ).all()
    latest = [
        {"name": public_name(r.volunteer.name), "at": format_time(r.checked_in_at, "HH:mm")}
        for r in records[:LATEST_COUNT]
    ]
    state = {
        "checked_in": len(records),
        "here": sum(1 for r in records if r.checked_out_at is None),
        "checked_out": sum(1 for r in records if r.checked_out_at is not None),
        "total_hours": format_hours(sum(r.minutes for r in records)),
        "capacity": activity.capacity,
        "latest": latest,
    }
    if with_code:
        url, step = rotating_url(activity, now)
        state.update(
            step=step,
            period=activity.rotate_seconds,
            next_in=round((step_ends_at(step, activity.rotate_seconds) - now).total_seconds(), 2),
            url=url,
            qr_svg=qr.render_svg(url),
        )
    return state


@bp.get("/activities/<int:activity_id>/projector")
@login_required
def projector(activity_id: int):
    """Full-screen page for a projector or a tablet at the entrance."""
    activity = activity_or_404(current_user, activity_id)
    token = keys.issue_kiosk_token(current_app.config["SECRET_KEY"], activity.kiosk_key)
    state = live_state(activity, utcnow())
    return render_template(
        "checkins/projector.html",
        activity=activity,
        state=state,
        poll_ms=POLL_MS,
        live_url=url_for("checkins.live", activity_id=activity.id),
        kiosk_url=public_url("checkins.kiosk", token=token),
        host_warning=lan.host_warning(state["url"], request.url),
    )


@bp.post("/activities/<int:activity_id>/kiosk-link/renew")
@login_required
def renew_kiosk_link(activity_id: int):
    """Revoke every kiosk link given out for the activity and make a new one."""
    activity = activity_or_404(current_user, activity_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    keys.renew_kiosk_key(activity, current_user, now=utcnow())
    flash(_("The old kiosk link no longer works. Open the new link on the tablet."), "success")
    return redirect(url_for("checkins.projector", activity_id=activity.id) + "#kiosk-link")


@bp.get("/activities/<int:activity_id>/live.json")
@login_required
def live(activity_id: int):
    """Current code and counts (polled by projector.js; ``?code=0`` for counts only)."""
    activity = activity_or_404(current_user, activity_id)
    with_code = request.args.get("code") != "0"
    response = jsonify(live_state(activity, utcnow(), with_code=with_code))
    response.headers["Cache-Control"] = "no-store"
    return response


# Kiosk links -----------------------------------------------------------------------------
# A tablet left at the entrance should not hold an organizer's session (anyone passing by
# could open the console). A kiosk link shows only this activity's projector page, and
# works only until the activity's check-out time is over or an organizer replaces it
# (format: checkins/keys.py). Treat it like a key: whoever has it can show the current
# rotating code anywhere; it is never logged.


def _kiosk_activity(token: str) -> Activity:
    """The activity of a kiosk link still in use; 404 for forged, revoked or ended ones."""
    activity = keys.activity_for_kiosk(current_app.config["SECRET_KEY"], token)
    if activity is None or activity.status not in (ActivityStatus.PUBLISHED,):
        abort(404)
    if utcnow() > window_for(activity).checkout_until:
        abort(404)
    return activity


@bp.get("/k/<token>")
def kiosk(token: str):
    """The projector page for a kiosk device, without an organizer session."""
    activity = _kiosk_activity(token)
    return render_template(
        "checkins/projector.html",
        activity=activity,
        state=live_state(activity, utcnow()),
        poll_ms=POLL_MS,
        live_url=url_for("checkins.kiosk_live", token=token),
        kiosk_url=None,
    )


@bp.get("/k/<token>/live.json")
def kiosk_live(token: str):
    """The kiosk page's current code and counts."""
    activity = _kiosk_activity(token)
    response = jsonify(live_state(activity, utcnow()))
    response.headers["Cache-Control"] = "no-store"
    return response
