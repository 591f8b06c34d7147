"""A team leader's pages (``/lead``): check-in for the activities their team runs.

A leader (队长) is a volunteer signed in on this device with their phone and PIN
(``volunteer_required``), not an organizer. At an activity their team runs, and only
there (``scoping.led_activity_or_404``: a 404 for any other id), they get the scanner for
members' cards, group and single check-in and check-out of the team's members (phones
masked), the live attendance in numbers, and who has not checked out. Nothing else: no
hours confirmation, no exports, no corrections (docs/security.md, "Team leaders").

Registered by ``create_app`` from ``BLUEPRINTS`` in volunteer_app/__init__.py; its
context processor gives the volunteer's own page its "我带队的活动" section.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from volunteer_app.auth.scoping import led_activity_or_404
from volunteer_app.checkins.forms import CardCodeForm, GroupCheckForm
from volunteer_app.checkins.manage_desk import flash_outcomes
from volunteer_app.checkins.manage_scanner import answer_scan
from volunteer_app.checkins.rules import Action
from volunteer_app.database import utcnow
from volunteer_app.formatting import format_hours
from volunteer_app.teams import leading
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
