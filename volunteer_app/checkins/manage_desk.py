"""Manual and group check-in by an organizer: search, walk-in, check several in or out."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from volunteer_app.activities.models import Activity
from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.checkins import bp, offline, organizer, queued
from volunteer_app.checkins import services as checkin_services
from volunteer_app.checkins.forms import GroupCheckForm, VolunteerSearchForm, WalkInForm
from volunteer_app.checkins.rules import Action
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError, render_error
from volunteer_app.extensions import limiter
from volunteer_app.transactions import reads_first
from volunteer_app.volunteers import identity

#: Refusals worded for the organizer (the volunteer-facing texts say "you").
ORGANIZER_MESSAGES = {
    "already_checked_in": _l("already checked in"),
    "not_checked_in": _l("has not checked in"),
    "already_checked_out": _l("already checked out"),
}

#: Refusals of a walk-in's check-in that mean "too late": their hours are added instead.
CLOSED_CODES = frozenset({"closed", "checkout_closed"})


def _page(
    activity: Activity,
    *,
    walk_in: WalkInForm | None = None,
    search: VolunteerSearchForm | None = None,
    status: int = 200,
    ask_pin: bool = False,
):
    """Render the manual check-in page with who is here, and a search's results if one was
    posted (``search``): the organizer's own volunteers only (``organizer.search_volunteers``)."""
    query, results = "", []
    if search is not None and search.validate():
        query = (search.q.data or "").strip()
        try:
            results = organizer.search_volunteers(current_user, query) if query else []
        except DomainError as error:
            search.q.errors.append(error.message)
            status = error.status
    elif search is not None:
        status = 400
    search = search or VolunteerSearchForm(formdata=None)
    records = checkin_services.attendance(activity.id)
    by_volunteer = {r.volunteer_id: r for r in records}
    return (
        render_template(
            "checkins/manual.html",
            activity=activity,
            search=search,
            query=query,
            results=results,
            records=records,
            by_volunteer=by_volunteer,
            present=[r for r in records if r.checked_out_at is None],
            walk_in=walk_in or WalkInForm(formdata=None),
            ask_pin=ask_pin,
            has_ended=utcnow() >= activity.ends_at,
            search_limit=organizer.SEARCH_LIMIT,
        ),
        status,
    )


@bp.get("/activities/<int:activity_id>/checkin")
@login_required
def manual_checkin(activity_id: int):
    """Search volunteers and check them in or out on their behalf."""
    activity = activity_or_404(current_user, activity_id)
    return _page(activity)


@bp.get("/activities/<int:activity_id>/checkin/roster.json")
@login_required
def checkin_roster(activity_id: int):
    """The volunteers the manual check-in page can search offline (phones masked); JSON."""
    activity = activity_or_404(current_user, activity_id)
    entries = organizer.roster(activity, current_user)
    response = jsonify(
        activity_id=activity.id,
        downloaded_at=utcnow().isoformat(),
        search_limit=organizer.SEARCH_LIMIT,
        volunteers=[
            {"id": e.id, "name": e.name, "phone": e.phone, "last4": e.last4, "state": e.state}
            for e in entries
        ],
    )
    # The page keeps it in its offline cache (emptied at sign-out), never the HTTP cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def flash_outcomes(activity: Activity, outcomes, action: Action) -> None:
    """Flash a group check-in's outcomes: who was done, who was refused and why (worded for
    whoever checks others in: the organizer's desk and a team leader's page)."""
    done = [o for o in outcomes if o.ok]
    if done:
        names = "、".join(o.volunteer.name for o in done)
        if action == Action.CHECK_IN:
            flash(
                ngettext(
                    "Checked in %(num)d: %(names)s",
                    "Checked in %(num)d: %(names)s",
                    len(done),
                    names=names,
                ),
                "success",
            )
        else:
            flash(
                ngettext(
                    "Checked out %(num)d: %(names)s",
                    "Checked out %(num)d: %(names)s",
                    len(done),
                    names=names,
                ),
                "success",
            )
    if any(o.over_capacity for o in done):
        flash(
            _(
                "More volunteers than needed (%(capacity)d): accepted and marked “over capacity”.",
                capacity=activity.capacity,
            ),
            "info",
        )
    for o in done:
        if o.message:  # what the check-in closed elsewhere
            flash(_("%(name)s: %(message)s", name=o.volunteer.name, message=o.message), "info")
    for o in outcomes:
        if not o.ok:
            message = ORGANIZER_MESSAGES.get(o.code, o.message)
            flash(_("%(name)s: %(message)s", name=o.volunteer.name, message=message), "error")


def _search_key() -> str:
    """Searches are counted per organizer account, wherever they sign in from."""
    return f"volunteer-search:{current_user.get_id()}"


def _too_many_searches(_limit) -> Response:
    """The 429 page of a search over the limit, saying so in the user's language."""
    return make_response(
        render_error(429, _("Too many searches. Please wait a minute and search again."))
    )


@bp.post("/activities/<int:activity_id>/checkin")
@login_required
@limiter.limit(
    lambda: current_app.config["VOLUNTEER_SEARCH_RATE_LIMIT"],
    key_func=_search_key,
    exempt_when=lambda: "q" not in request.form,
    on_breach=_too_many_searches,
)
def group_checkin(activity_id: int):
    """Check the ticked volunteers in or out, recorded as done by this organizer; or, for
    the search form (its ``q``), show the page with the search's results."""
    activity = activity_or_404(current_user, activity_id)
    if "q" in request.form:
        return _page(activity, search=VolunteerSearchForm())
    form = GroupCheckForm()
    if "ticked_at" in request.form:
        return _queued_tick(activity, form)
    back = url_for("checkins.manual_checkin", activity_id=activity.id)
    if not form.validate_on_submit():
        flash(_("Please tick at least one volunteer."), "error")
        return redirect(back)
    action = Action(form.action.data)
    outcomes = organizer.check_group(
        activity, current_user, form.volunteer_ids.data, action, now=utcnow()
    )
    flash_outcomes(activity, outcomes, action)
    return redirect(back)


def _queued_tick(activity: Activity, form: GroupCheckForm):
    """Record one volunteer ticked while offline, at the (plausible) tick time; JSON."""
    if not form.validate_on_submit() or len(form.volunteer_ids.data) != 1:
        return queued.refuse("bad_record", _("This saved record could not be read."))
    return queued.answer(
        lambda ticked_at, now: offline.record_queued_tick(
            activity,
            current_user,
            form.volunteer_ids.data[0],
            action=Action(form.action.data),
            ticked_at=ticked_at,
            now=now,
        ),
        form.ticked_at.data,
    )


@bp.post("/activities/<int:activity_id>/walk-in")
@login_required
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def walk_in(activity_id: int):
    """Register a volunteer on the spot and, by default, check them in; a number already
    registered needs the person's exact name or their own PIN."""
    activity = activity_or_404(current_user, activity_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _page(activity, walk_in=form, status=400)
    now = utcnow()
    try:
        walk = organizer.register_walk_in(
            activity,
            current_user,
            name=form.name.data,
            phone=form.phone.data,
            pin=form.pin.data,
            now=now,
        )
        volunteer = walk.volunteer
        outcomes = []
        if form.check_in_now.data:
            outcomes = organizer.check_in_proven(activity, current_user, volunteer, now=now)
    except DomainError as error:
        form.form_errors.append(error.message)
        form.pin.data = ""
        return _page(
            activity,
            walk_in=form,
            status=error.status,
            ask_pin=error.code in {"number_taken", "desk_pin_wrong"},
        )
    if walk.how == "new":
        who = _("Registered %(name)s.", name=volunteer.name)
    elif walk.how == "added":
        who = _("%(name)s was added to this number (confirmed with its PIN).", name=volunteer.name)
    else:
        who = _("This number is already registered, as %(name)s.", name=volunteer.name)
    if any(o.code in CLOSED_CODES for o in outcomes):
        # Too late to check in: one message, and the page where their hours are entered.
        then = _(
            "Check-in has closed, so they were not checked in. Enter the hours they "
            "served here (补录), or enter the whole paper sheet at once."
        )
        flash(_("%(done)s %(then)s", done=who, then=then), "info")
        return redirect(
            url_for("checkins.add_hours", activity_id=activity.id, volunteer_id=volunteer.id)
        )
    flash(who, "info" if walk.how == "known" else "success")
    flash_outcomes(activity, outcomes, Action.CHECK_IN)
    return redirect(url_for("checkins.manual_checkin", activity_id=activity.id))
