"""A team leader's pages (``/lead``): check-in for the activities their team runs.

A leader (队长) is a volunteer signed in on this device with their phone and PIN
(``volunteer_required``), not an organizer. At an activity their team runs, and only
there (``scoping.led_activity_or_404``: a 404 for any other id), they get the scanner for
members' cards, group and single check-in and check-out of the team's members (phones
masked), the live attendance in numbers, and who has not checked out. For a team they
lead now (``scoping.led_team_or_404``), its member page: members (phones masked) and their
confirmed hours, waiting requests to approve or reject, removing a member who is not a
leader, and adding the person who shows their card. Nothing else: no hours confirmation,
no exports, no corrections, no naming of leaders (docs/security.md, "Team leaders").

Registered by ``create_app`` from ``BLUEPRINTS`` in volunteer_app/__init__.py; its
context processor gives the volunteer's own page its "我带队的活动" section.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from volunteer_app.auth.scoping import led_activity_or_404, led_team_or_404
from volunteer_app.checkins.forms import CardCodeForm, GroupCheckForm
from volunteer_app.checkins.manage_desk import flash_outcomes
from volunteer_app.checkins.manage_scanner import answer_scan
from volunteer_app.checkins.rules import Action
from volunteer_app.database import utcnow
from volunteer_app.formatting import format_hours
from volunteer_app.forms import ActionForm
from volunteer_app.teams import leading, membership
from volunteer_app.teams.lead_forms import AddByCardForm
from volunteer_app.teams.membership import By
from volunteer_app.teams.models import MemberStatus
from volunteer_app.teams.rules import TeamError
from volunteer_app.volunteers.cards import CardError, volunteer_for_card
from volunteer_app.volunteers.session import volunteer_required

lead_bp = Blueprint("lead", __name__, url_prefix="/lead")


@lead_bp.app_context_processor
def _led_activities() -> dict:
    """``led_activities()`` for the volunteer's own page: the activities they run now."""

    def led_activities() -> list:
        volunteer = g.get("volunteer")
        if volunteer is None:
            return []
        return leading.listed_activities(volunteer, now=utcnow())

    return {"led_activities": led_activities}


def _no_store(response):
    """Leader pages list members: never kept by a shared cache or the browser's."""
    response.headers["Cache-Control"] = "no-store"
    return response


@lead_bp.get("/activities/<int:activity_id>")
@volunteer_required
def activity(activity_id: int):
    """The leader's page of a led activity: attendance, members to tick, who is still in."""
    activity = led_activity_or_404(g.volunteer, activity_id)
    members = leading.members_at(activity)
    page = render_template(
        "teams/lead/activity.html",
        activity=activity,
        team=leading.team_of(activity),
        members=members,
        present=[m for m in members if m.state == "in"],
        counts=leading.counts(activity),
        form=GroupCheckForm(formdata=None),
    )
    return _no_store(make_response(page))


@lead_bp.get("/activities/<int:activity_id>/live.json")
@volunteer_required
def live(activity_id: int):
    """The activity's attendance in numbers, polled by the leader's page (no one named)."""
    activity = led_activity_or_404(g.volunteer, activity_id)
    counts = leading.counts(activity)
    return _no_store(
        jsonify(
            checked_in=counts["checked_in"],
            here=counts["here"],
            checked_out=counts["checked_out"],
            total_hours=format_hours(counts["minutes"]),
        )
    )


@lead_bp.post("/activities/<int:activity_id>/checkin")
@volunteer_required
def group_checkin(activity_id: int):
    """Check the ticked members in or out, recorded as done by this leader."""
    activity = led_activity_or_404(g.volunteer, activity_id)
    back = url_for("lead.activity", activity_id=activity.id)
    form = GroupCheckForm()
    if not form.validate_on_submit():
        flash(_("Please tick at least one volunteer."), "error")
        return redirect(back)
    action = Action(form.action.data)
    outcomes = leading.check_group(
        activity, g.volunteer, form.volunteer_ids.data, action, now=utcnow()
    )
    if not outcomes:
        flash(_("Please tick at least one volunteer."), "error")
    flash_outcomes(activity, outcomes, action)
    return redirect(back)


@lead_bp.get("/activities/<int:activity_id>/scanner")
@volunteer_required
def scanner(activity_id: int):
    """The leader's scanner for members' cards: the organizer's page, the leader's URLs."""
    activity = led_activity_or_404(g.volunteer, activity_id)
    page = render_template("checkins/scanner.html", form=CardCodeForm(), **_scanner_page(activity))
    return _no_store(make_response(page))


def _scanner_page(activity) -> dict:
    """The scanner template's values for the leader: the organizer's page, the leader's URLs."""
    return {
        "activity": activity,
        "scan_url": url_for("lead.scan_card", activity_id=activity.id),
        "back_url": url_for("lead.activity", activity_id=activity.id),
        "manage_css": True,  # the scanner's lists are styled with the organizer's pages
    }


@lead_bp.post("/activities/<int:activity_id>/scanner")
@volunteer_required
def scan_card(activity_id: int):
    """Check in (or out) the member whose card was scanned; JSON for the page's script."""
    activity = led_activity_or_404(g.volunteer, activity_id)
    leader = g.volunteer
    return answer_scan(
        url_for("lead.scanner", activity_id=activity.id),
        lambda code, now, confirmed: leading.scan_card(
            activity, leader, code, now=now, confirmed=confirmed
        ),
        lambda code, action, scanned_at, now: leading.record_queued_scan(
            activity, leader, code, action=action, scanned_at=scanned_at, now=now
        ),
        _scanner_page(activity),
    )


# --- the team's members -------------------------------------------------------------------


@lead_bp.get("/teams/<int:team_id>")
@volunteer_required
def team(team_id: int):
    """The leader's member page: members, waiting requests, adding by card."""
    team = led_team_or_404(g.volunteer, team_id)
    return _team_page(team, AddByCardForm(formdata=None))


def _team_page(team, form: AddByCardForm, status: int = 200):
    """The member page with ``form`` (its errors shown beside the card code)."""
    page = render_template(
        "teams/lead/team.html",
        team=team,
        members=membership.member_rows(team, (MemberStatus.ACTIVE,)),
        waiting=membership.member_rows(team, (MemberStatus.PENDING,)),
        counts=membership.counts(team),
        led=[
            a for a in leading.listed_activities(g.volunteer, now=utcnow()) if a.team_id == team.id
        ],
        form=form,
        action_form=ActionForm(formdata=None),
    )
    return _no_store(make_response(page, status))


def _member_action(team_id: int, member_id: int, act, done) -> object:
    """One change of a membership by the leader: the team in scope, the CSRF token checked,
    ``act(team, member_id, by)`` run; a refusal flashed (nothing written), ``done(name)``
    flashed on success; back to the member page either way."""
    team = led_team_or_404(g.volunteer, team_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if membership.member_or_none(team, member_id) is None:
        abort(404)  # another team's membership is no one's
    try:
        member = act(team, member_id, By.team_leader(g.volunteer))
    except TeamError as error:
        flash(error.message, "error")
    else:
        flash(done(member.volunteer.name), "success")
    return redirect(url_for("lead.team", team_id=team.id))


@lead_bp.post("/teams/<int:team_id>/members/<int:member_id>/approve")
@volunteer_required
def approve(team_id: int, member_id: int):
    """Approve a waiting request: the person becomes a member."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.answer(team, mid, by, approve=True, now=utcnow()),
        lambda name: _("%(name)s is now a member of the team.", name=name),
    )


@lead_bp.post("/teams/<int:team_id>/members/<int:member_id>/reject")
@volunteer_required
def reject(team_id: int, member_id: int):
    """Turn down a waiting request."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.answer(team, mid, by, approve=False, now=utcnow()),
        lambda name: _("The request of %(name)s was turned down.", name=name),
    )


@lead_bp.post("/teams/<int:team_id>/members/<int:member_id>/remove")
@volunteer_required
def remove(team_id: int, member_id: int):
    """Remove a member who is not a leader (only the station removes a leader)."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.remove(team, mid, by, now=utcnow()),
        lambda name: _("%(name)s was removed from the team.", name=name),
    )


@lead_bp.post("/teams/<int:team_id>/add")
@volunteer_required
def add_by_card(team_id: int):
    """Add the person whose card the leader scanned or typed: any live volunteer's card,
    since the person stands in front of the leader (docs/security.md, "Team leaders")."""
    team = led_team_or_404(g.volunteer, team_id)
    form = AddByCardForm()
    if not form.validate_on_submit():
        return _team_page(team, form, 400)
    try:
        person = volunteer_for_card(current_app.config["SECRET_KEY"], form.code.data)
        membership.add(team, person, By.team_leader(g.volunteer), now=utcnow())
    except (CardError, TeamError) as error:
        form.code.errors.append(error.message)
        return _team_page(team, form, error.status)
    flash(_("%(name)s is now a member of the team.", name=person.name), "success")
    return redirect(url_for("lead.team", team_id=team.id))
