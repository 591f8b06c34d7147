"""The organizer's team pages (``/teams``): the list, creating and editing a team, its page
with members, requests and leaders, disabling it, renewing its join link, its printable
join card, and adding one of the organizer's own volunteers.

Every handler loads the team through ``scoping.team_or_404`` (and a unit through
``unit_or_404``), so another station's team is a 404; a membership id of another team is
the same 404. Adding a member finds only the organizer's own volunteers (the check-in
desk's search, or a card within ``scoping.volunteer_is_theirs``): anyone else is "not
found", worded as for someone who does not exist, and nothing is written. A volunteer who
is not theirs joins by scanning the team's card themselves.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app import lan, qr
from volunteer_app.auth import scoping
from volunteer_app.checkins.organizer import SEARCH_LIMIT, search_volunteers
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.forms import ActionForm
from volunteer_app.links import public_url
from volunteer_app.params import parse_id
from volunteer_app.teams import bp, membership, services
from volunteer_app.teams.forms import AddMemberForm, NewTeamForm, RenewKeyForm, TeamForm
from volunteer_app.teams.join import MODE_TEXT
from volunteer_app.teams.labels import HOST_TYPE_LABELS, JOIN_MODE_LABELS, KIND_LABELS
from volunteer_app.teams.membership import By
from volunteer_app.teams.models import MemberStatus, Team
from volunteer_app.teams.rules import TeamError
from volunteer_app.volunteers.cards import volunteer_for_card

LABELS = {
    "kind_labels": KIND_LABELS,
    "host_type_labels": HOST_TYPE_LABELS,
    "join_mode_labels": JOIN_MODE_LABELS,
}


def join_url(team: Team) -> str:
    """The absolute address of the team's join page, for its link and its card's QR code."""
    return public_url("team_join.page", join_key=team.join_key)


def _no_store(page, status: int = 200):
    """Team pages list members: never kept by a shared cache or the browser's."""
    return page, status, {"Cache-Control": "no-store"}


def _back(team: Team, anchor: str = ""):
    return redirect(url_for("teams.detail", team_id=team.id) + anchor)


def _fill_categories(form: TeamForm) -> None:
    """Offer the service categories, named in the page's language."""
    lang = str(get_locale())
    form.categories.choices = [(c.id, c.display_name(lang)) for c in services.categories()]


@bp.get("/teams")
@login_required
def index():
    """The teams of the organizer's units (of one unit with ``?unit=``), with their members,
    waiting requests, leaders and status."""
    raw = request.args.get("unit")
    unit = None
    if raw:
        unit_id = parse_id(raw)
        if unit_id is None:
            abort(404)
        unit = scoping.unit_or_404(current_user, unit_id)
    rows = services.team_rows(current_user, unit)
    units = scoping.visible_units(current_user)
    page = render_template("teams/index.html", rows=rows, units=units, unit=unit, **LABELS)
    return _no_store(page)


@bp.route("/teams/new", methods=["GET", "POST"])
@login_required
def new():
    """Create a team for one of the organizer's units."""
    form = NewTeamForm()
    form.unit_id.choices = [(u.id, u.name) for u in scoping.visible_units(current_user)]
    if request.method == "GET":
        form.unit_id.data = parse_id(request.args.get("unit")) or current_user.unit_id
    _fill_categories(form)
    status = 200
    if form.validate_on_submit():
        unit = scoping.unit_or_404(current_user, form.unit_id.data)
        try:
            team = services.create_team(
                current_user, unit, form.team_fields(), form.categories.data or [], now=utcnow()
            )
        except DomainError as error:
            form.show_problems(error.problems or {"": error})
            status = error.status
        else:
            flash(_("Team %(name)s created.", name=team.name), "success")
            return _back(team)
    elif form.is_submitted():
        form.show_problems(form.rule_problems())
        status = 400
    return render_template("teams/form.html", form=form, team=None, **LABELS), status


@bp.get("/teams/<int:team_id>")
@login_required
def detail(team_id: int):
    """The team's page: its fields (contact number in full), join link and card, members
    with their confirmed hours, waiting requests, leaders, adding a member, activities."""
    team = scoping.team_or_404(current_user, team_id)
    return _detail_page(team)


def _detail_page(team: Team, *, add_form: AddMemberForm | None = None, status: int = 200):
    """The team's page, with a search's results when ``add_form`` searched (``results``)."""
    results, query = [], ""
    if add_form is not None and (add_form.q.data or "").strip() and not add_form.q.errors:
        query = add_form.q.data.strip()
        try:
            results = search_volunteers(current_user, query)
        except DomainError as error:
            add_form.q.errors = [*add_form.q.errors, error.message]
            status = error.status
    members = membership.member_rows(team, (MemberStatus.ACTIVE,))
    member_ids = {row.volunteer.id for row in members}
    page = render_template(
        "teams/detail.html",
        team=team,
        join_url=join_url(team),
        members=members,
        member_ids=member_ids,
        pending=membership.member_rows(team, (MemberStatus.PENDING,)),
        activities=services.team_activities(current_user, team),
        add_form=add_form or AddMemberForm(formdata=None),
        query=query,
        results=results,
        search_limit=SEARCH_LIMIT,
        renew_form=RenewKeyForm(formdata=None),
        **LABELS,
    )
    return _no_store(page, status)


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@login_required
def edit(team_id: int):
    """Change a team's fields, categories and join mode."""
    team = scoping.team_or_404(current_user, team_id)
    form = TeamForm(obj=team)
    _fill_categories(form)
    if request.method == "GET":
        form.categories.data = [c.id for c in team.categories]
        form.kind.data, form.host_type.data = team.kind.value, team.host_type.value
        form.join_mode.data = team.join_mode.value
    status = 200
    if form.validate_on_submit():
        try:
            services.update_team(
                current_user, team, form.team_fields(), form.categories.data or [], now=utcnow()
            )
        except DomainError as error:
            form.show_problems(error.problems or {"": error})
            status = error.status
        else:
            flash(_("Changes saved."), "success")
            return _back(team)
    elif form.is_submitted():
        form.show_problems(form.rule_problems())
        status = 400
    return render_template("teams/form.html", form=form, team=team, **LABELS), status


def _acted(team_id: int, form_class=ActionForm) -> tuple[Team, object]:
    """The team (404 outside the organizer's scope) and the posted form; a form that does
    not validate (its CSRF token is checked before) is a 400."""
    team = scoping.team_or_404(current_user, team_id)
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    return team, form


@bp.post("/teams/<int:team_id>/disable")
@login_required
def disable(team_id: int):
    """Disable the team: no new members or activities; its leaders' pages close."""
    team, _form = _acted(team_id)
    services.disable_team(current_user, team, now=utcnow())
    flash(_("%(name)s disabled.", name=team.name), "success")
    return _back(team)


@bp.post("/teams/<int:team_id>/enable")
@login_required
def enable(team_id: int):
    """Enable the team again."""
    team, _form = _acted(team_id)
    services.enable_team(current_user, team, now=utcnow())
    flash(_("%(name)s enabled again.", name=team.name), "success")
    return _back(team)


@bp.post("/teams/<int:team_id>/renew-key")
@login_required
def renew_key(team_id: int):
    """Give the team a new join link and card (the old ones stop working), once confirmed."""
    team = scoping.team_or_404(current_user, team_id)
    form = RenewKeyForm()
    if not form.validate_on_submit():
        for message in form.confirm.errors or [_("Please check the form and try again.")]:
            flash(message, "error")
        return _back(team, "#join")
    services.renew_join_key(current_user, team, now=utcnow())
    flash(
        _("The join link has been replaced: the old link and printed cards no longer work."),
        "success",
    )
    return _back(team, "#join")


@bp.get("/teams/<int:team_id>/card")
@login_required
def card(team_id: int):
    """A printable join card: the team, its unit, the join link's QR code and address and how
    joining works (never the join code)."""
    team = scoping.team_or_404(current_user, team_id)
    url = join_url(team)
    page = render_template(
        "teams/card.html",
        team=team,
        join_url=url,
        qr_svg=qr.render_svg(url),
        host_warning=lan.host_warning(url, request.url),
        mode_text=MODE_TEXT[team.join_mode],
    )
    return _no_store(page)


# --- members -------------------------------------------------------------------------------


def _member_action(team_id: int, member_id: int, act, done: str):
    """Run ``act(team, member_id, by)`` on one of the team's memberships and flash ``done``
    (with the member's name) or the rule's refusal; another team's membership is a 404."""
    team, _form = _acted(team_id)
    if membership.member_or_none(team, member_id) is None:
        abort(404)
    try:
        member = act(team, member_id, By.organizer(current_user))
    except TeamError as error:
        flash(error.message, "error")
    else:
        flash(done % {"name": member.volunteer.name}, "success")
    return _back(team, "#members")


@bp.post("/teams/<int:team_id>/members/<int:member_id>/approve")
@login_required
def approve(team_id: int, member_id: int):
    """Approve a waiting request: the volunteer is a member."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.answer(team, mid, by, approve=True, now=utcnow()),
        _("%(name)s is now a member."),
    )


@bp.post("/teams/<int:team_id>/members/<int:member_id>/reject")
@login_required
def reject(team_id: int, member_id: int):
    """Reject a waiting request."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.answer(team, mid, by, approve=False, now=utcnow()),
        _("The request of %(name)s was rejected."),
    )


@bp.post("/teams/<int:team_id>/members/<int:member_id>/remove")
@login_required
def remove(team_id: int, member_id: int):
    """Remove a member (a leader too: an organizer may)."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.remove(team, mid, by, now=utcnow()),
        _("%(name)s was removed from the team."),
    )


@bp.post("/teams/<int:team_id>/members/<int:member_id>/leader")
@login_required
def leader(team_id: int, member_id: int):
    """Name a member the team's leader: they run check-in for its activities."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.name_leader(team, mid, by, leader=True, now=utcnow()),
        _("%(name)s is now a leader of the team."),
    )


@bp.post("/teams/<int:team_id>/members/<int:member_id>/unleader")
@login_required
def unleader(team_id: int, member_id: int):
    """Make a leader a plain member again."""
    return _member_action(
        team_id,
        member_id,
        lambda team, mid, by: membership.name_leader(team, mid, by, leader=False, now=utcnow()),
        _("%(name)s is no longer a leader."),
    )


@bp.post("/teams/<int:team_id>/members")
@login_required
def add_member(team_id: int):
    """Search the organizer's own volunteers (``q``), add the one chosen (``volunteer_id``)
    or the holder of a card (``card``). Anyone not theirs is "not found", as no one."""
    team = scoping.team_or_404(current_user, team_id)
    form = AddMemberForm()
    if not form.validate_on_submit():
        return _detail_page(team, add_form=form, status=400)
    chosen, card_code = (form.volunteer_id.data or "").strip(), (form.card.data or "").strip()
    if not chosen and not card_code:
        return _detail_page(team, add_form=form)
    try:
        if card_code:
            volunteer = volunteer_for_card(
                current_app.config["SECRET_KEY"],
                card_code,
                within=scoping.volunteer_is_theirs(current_user),
            )
        else:
            volunteer_id = parse_id(chosen)
            volunteer = scoping.volunteer_in_scope(current_user, volunteer_id or 0)
            if volunteer is None:
                raise TeamError("volunteer_not_found", status=404)
        membership.add(team, volunteer, By.organizer(current_user), now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s is now a member.", name=volunteer.name), "success")
    return _back(team, "#add-member")
