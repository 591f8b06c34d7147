"""Organizer pages: activity list, creation form, activity page and its QR code."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app import lan, qr
from volunteer_app.activities import bp, services
from volunteer_app.activities.context import detail_context
from volunteer_app.activities.forms import ActivityForm, NewActivityForm
from volunteer_app.activities.labels import STATUS_LABELS
from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.auth.scoping import activity_or_404, activity_team_choices, visible_units
from volunteer_app.checkins import services as checkin_services
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.forms import show_errors
from volunteer_app.links import public_url
from volunteer_app.localtime import utc_to_local


def checkin_url(activity: Activity) -> str:
    """The absolute URL a volunteer's phone opens from the activity's QR code."""
    token = issue_token(current_app.config["SECRET_KEY"], activity.checkin_key)
    return public_url("checkins.scan", token=token)


@bp.get("/")
def home():
    """Landing page: organizers go to their activities; others see what the app is."""
    if current_user.is_authenticated:
        return redirect(url_for("activities.index"))
    return render_template("home.html")


@bp.get("/activities")
@login_required
def index():
    """The organizer's current, upcoming and past activities."""
    now = utcnow()
    current, past = services.list_for(current_user, now=now)
    overdue = sum(1 for row in past if row.overdue)
    return render_template(
        "activities/index.html",
        current=current,
        past=past,
        now=now,
        overdue=overdue,
        status_labels=STATUS_LABELS,
    )


def _fill_choices(form: ActivityForm, activity: Activity | None = None) -> None:
    """Offer the categories, the units this organizer manages and the teams that may run
    their activities (those of their units and of the units above; the activity's own
    team stays offered should it have been disabled since)."""
    lang = str(get_locale())
    form.category_id.choices = [(c.id, c.display_name(lang)) for c in services.categories()]
    form.unit_id.choices = [(u.id, u.name) for u in visible_units(current_user)]
    teams = activity_team_choices(current_user)
    if activity is not None and activity.team is not None and activity.team not in teams:
        teams.insert(0, activity.team)
    form.team_id.choices = [("", _("No team (the station itself)"))] + [
        (t.id, _("%(team)s (%(unit)s)", team=t.name, unit=t.unit.name)) for t in teams
    ]


#: Where the activity forms show a refusal of the team settings.
TEAM_FIELDS = {
    "team_not_allowed": "team_id",
    "team_disabled": "team_id",
    "members_only_needs_team": "members_only",
}


def show_activity_error(form: ActivityForm, error: DomainError) -> None:
    """Put a refusal beside its field (the team settings), or above the form."""
    show_errors(form, [error], TEAM_FIELDS)


@bp.route("/activities/new", methods=["GET", "POST"])
@login_required
def new():
    """Create an activity, published at once or saved as a draft."""
    form = NewActivityForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            activity = services.create_activity(
                current_user, **form.activity_fields(), status=form.status(), now=utcnow()
            )
        except DomainError as error:
            show_activity_error(form, error)
        else:
            if activity.status == ActivityStatus.DRAFT:
                flash(
                    _("Saved as a draft: volunteers do not see it until you publish it."),
                    "success",
                )
            else:
                flash(_("Activity created."), "success")
            return redirect(url_for("activities.detail", activity_id=activity.id))
    status = 400 if request.method == "POST" else 200
    return render_template("activities/new.html", form=form), status


@bp.get("/activities/<int:activity_id>")
@login_required
def detail(activity_id: int):
    """The activity page: QR code to show or print, and who has checked in."""
    activity = activity_or_404(current_user, activity_id)
    url = checkin_url(activity)
    records = checkin_services.attendance(activity.id)
    return render_template(
        "activities/detail.html",
        activity=activity,
        checkin_url=url,
        qr_svg=qr.render_svg(url),
        host_warning=lan.host_warning(url, request.url),
        records=records,
        total_minutes=sum(r.minutes for r in records),
        checked_out=sum(1 for r in records if r.checked_out_at is not None),
        utc_to_local=utc_to_local,
        **detail_context(activity, records),
    )


@bp.get("/activities/<int:activity_id>/qr.png")
@login_required
def qr_png(activity_id: int):
    """The activity's check-in QR code as a PNG (for printing or projecting)."""
    activity = activity_or_404(current_user, activity_id)
    size = min(max(request.args.get("size", default=10, type=int), 2), 40)
    url = checkin_url(activity)
    etag = qr.etag(url, size)
    # Revalidated at every use (a 304 costs no drawing): a replaced code must never be
    # served from the browser's cache.
    headers = {"Cache-Control": "private, no-cache", "ETag": f'"{etag}"'}
    if etag in request.if_none_match:  # the browser has this very code: nothing to draw
        return Response(status=304, headers=headers)
    return Response(qr.render_png(url, box_size=size), mimetype="image/png", headers=headers)
