"""A team's public join page (``/t/<join_key>``): what the join card's QR code opens.

Anyone reaches it by the team's join key, never by its id (a renewed key is a 404, as an
unknown one). It shows the team, its unit and how it takes members (the national join
modes); a volunteer signed in on this phone joins, asks to join, or types the join code. A
visitor with no account registers or signs in and comes back here (``next``). On a phone
shared by a family the person joining is the one chosen now on this phone, named on the
page with a link to switch. Nothing here names the team's members or their number.

Registered by ``create_app`` from ``BLUEPRINTS`` in volunteer_app/__init__.py.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from volunteer_app.auth.scoping import team_by_join_key_or_404
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import limiter
from volunteer_app.teams import membership
from volunteer_app.teams.models import JOIN_CODE_MAX, JoinMode, MemberStatus, Team
from volunteer_app.volunteers.identity import ip_key
from volunteer_app.volunteers.session import current_device, volunteer_required

join_bp = Blueprint("team_join", __name__)


class JoinForm(FlaskForm):
    """Join a team (or ask to); the join code only in the team's code mode."""

    code = StringField(
        _l("Join code"),
        validators=[Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "maxlength": 20},
    )


#: What each join mode means, in the volunteer's words.
MODE_TEXT = {
    JoinMode.APPROVAL: _l("Anyone may ask to join; the team's leader approves."),
    JoinMode.OPEN: _l("Anyone may join at once."),
    JoinMode.CLOSED: _l("The team adds its members itself; it takes no requests."),
    JoinMode.CODE: _l("Members join with the join code the leader gives them."),
}


def _page(team: Team, form: JoinForm, *, status: int = 200):
    """The join page for this device's person, or for a visitor without one."""
    device = current_device()
    volunteer = device.volunteer if device is not None else None
    state = membership.status_of(team, volunteer) if volunteer is not None else None
    page = render_template(
        "teams/join.html",
        team=team,
        form=form,
        volunteer=volunteer,
        state=state.value if state is not None else None,
        mode_text=MODE_TEXT[team.join_mode],
        counts=membership.counts(team),
        JoinMode=JoinMode,
        MemberStatus=MemberStatus,
        code_max=JOIN_CODE_MAX,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@join_bp.get("/t/<join_key>")
def page(join_key: str):
    """The team's join page (the card's QR code)."""
    team = team_by_join_key_or_404(join_key)
    return _page(team, JoinForm(formdata=None))


@join_bp.post("/t/<join_key>")
@limiter.limit(
    lambda: current_app.config["JOIN_CODE_RATE_LIMIT"],
    key_func=ip_key("join-code-ip"),
    deduct_when=lambda response: bool(g.get("wrong_join_code")),
)
@volunteer_required
def join(join_key: str):
    """Join the team, or ask to, as the person chosen on this phone."""
    team = team_by_join_key_or_404(join_key)
    form = JoinForm()
    if not form.validate_on_submit():
        return _page(team, form, status=400)
    try:
        member = membership.join(team, g.volunteer, code=form.code.data or "", now=utcnow())
    except DomainError as error:
        if error.code == "wrong_code":
            g.wrong_join_code = True  # counts against JOIN_CODE_RATE_LIMIT
            form.code.errors = [error.message]
        else:
            flash(error.message, "error")
        return _page(team, form, status=error.status)
    if member.status == MemberStatus.ACTIVE:
        flash(_("You have joined %(team)s.", team=team.name), "success")
    else:
        flash(_("Your request has been sent. The leader will answer it."), "success")
    return redirect(url_for("team_join.page", join_key=team.join_key))
