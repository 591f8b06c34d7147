"""The volunteer's own side of a record: the scan page ``/c/<token>`` that checks in or
out, and a request to correct one of their records."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager

from volunteer_app import sms
from volunteer_app.activities.models import Activity
from volunteer_app.auth.scoping import own_record_or_404
from volunteer_app.checkins import bp, corrections, services, tokens
from volunteer_app.checkins import identify as checkin_flow
from volunteer_app.checkins.forms import CorrectionRequestForm, ScanForm
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.notes import closed_elsewhere_note
from volunteer_app.checkins.rules import Action, CheckInError, is_early_check_out, next_action
from volunteer_app.checkins.tokens import TokenClaims, TokenError, verify_token
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.forms import show_errors
from volunteer_app.transactions import reads_first
from volunteer_app.volunteers import identity
from volunteer_app.volunteers.identity import Credentials
from volunteer_app.volunteers.models import Device, Volunteer
from volunteer_app.volunteers.rules import FIELD_OF_CODE, compute_form_problems
from volunteer_app.volunteers.services import live_members
from volunteer_app.volunteers.session import device_key, set_device_cookie, volunteer_required


@lru_cache(maxsize=2)
def _load_statement(by_key: bool):
    """The activity (with its unit) and the volunteer of a live device key, built once per
    way of naming the activity: by its check-in key (version 2 tokens) or its id (version 1)."""
    named = Activity.checkin_key if by_key else Activity.id
    return (
        select(Activity, Volunteer)
        .join(Activity.unit)
        .options(contains_eager(Activity.unit))
        .outerjoin(Device, and_(Device.key == bindparam("device_key"), Device.revoked_at.is_(None)))
        .outerjoin(Volunteer, Volunteer.id == Device.volunteer_id)
        .where(named == bindparam("activity"))
    )


def _load(token: str, opened: str | None = None) -> tuple[Activity, Volunteer | None, TokenClaims]:
    """Verify the token; load its activity (with unit) and this device's volunteer at once.

    One query for both: the token's MAC is checked first, without the database; the
    activity is found by the key the token carries, and the device's volunteer comes along
    in a left join (absent or signed-out device: None). ``opened`` is the opening proof a
    submitted form carries. TokenError when the token is wrong, replaced or stale.
    """
    secret_key = current_app.config["SECRET_KEY"]
    claims = verify_token(secret_key, token)
    by_key = claims.version == 2
    row = db.session.execute(
        _load_statement(by_key),
        {
            "activity": claims.key if by_key else claims.activity_id,
            "device_key": device_key() or "",
        },
    ).first()
    if row is None:
        raise TokenError("invalid")
    activity, volunteer = row
    services.validate_token_use(
        activity, claims, now=utcnow(), opened_at=tokens.opened_at(secret_key, token, opened)
    )
    return activity, volunteer, claims


def _opening_proof(token: str, claims: TokenClaims) -> str | None:
    """The proof a page of a rotating code carries into its form: opened while valid, now."""
    if claims.kind != "rotating":
        return None
    return tokens.issue_opened(current_app.config["SECRET_KEY"], token, utcnow())


@dataclass(frozen=True)
class PersonAtActivity:
    """One person of the phone's household, with their record here and their next step."""

    volunteer: Volunteer
    record: CheckIn | None
    action: Action


@dataclass(frozen=True)
class Outcome:
    """What happened to one person of a household's check-in or check-out."""

    volunteer: Volunteer
    record: CheckIn | None
    message: str
    ok: bool


def _action_of(record: CheckIn | None) -> Action:
    return next_action(
        record.checked_in_at if record else None, record.checked_out_at if record else None
    )


def _household_here(activity: Activity, volunteer: Volunteer | None) -> list[PersonAtActivity]:
    """Every person of the phone's household at this activity, when it has more than one."""
    if volunteer is None or volunteer.household is None:
        return []
    members = live_members(volunteer.household)
    if len(members) < 2:
        return []
    records = services.records_of(activity.id, [m.id for m in members])
    return [PersonAtActivity(m, records.get(m.id), _action_of(records.get(m.id))) for m in members]


def _render(
    activity,
    form,
    volunteer,
    record,
    *,
    status=200,
    notice=None,
    success=None,
    outcomes=None,
    people=None,
    claim_sms=False,
    closed_note="",
    confirm_checkout=None,
    chosen=(),
):
    action = _action_of(record)
    if people is None and not success:
        people = _household_here(activity, volunteer)
    signed_up = (
        volunteer is not None
        and action == Action.CHECK_IN
        and not success
        and not people
        and services.signed_up(activity.id, volunteer.id)
    )
    return (
        render_template(
            "checkins/scan.html",
            signed_up=signed_up,
            activity=activity,
            form=form,
            volunteer=volunteer,
            record=record,
            action=action,
            window=services.window_for(activity),
            notice=notice,
            success=success,
            outcomes=outcomes or [],
            people=people or [],
            Action=Action,
            claim_sms=claim_sms,
            closed_note=closed_note,
            confirm_checkout=confirm_checkout,
            chosen=chosen,
        ),
        status,
    )


@bp.get("/c/<token>")
def scan(token: str):
    """Show the activity and the one button the volunteer needs (签到 or 签退); for a phone
    several people share, each of them with their own button."""
    activity, volunteer, claims = _load(token)
    record = services.find_record(activity.id, volunteer.id) if volunteer else None
    form = ScanForm()
    form.opened.data = _opening_proof(token, claims)
    notice = _gate_notice(activity, record, volunteer)
    return _render(activity, form, volunteer, record, notice=notice)


def _gate_notice(activity: Activity, record, volunteer: Volunteer | None = None) -> str | None:
    """Explain up front why the button would be refused (not open yet, closed, cancelled,
    the team's members only)."""
    try:
        if record is None and volunteer is not None:
            services.check_members_only(activity, volunteer)
        if record is None:
            services.rules.validate_check_in(
                status=activity.status.value,
                window=services.window_for(activity),
                now=utcnow(),
                checked_in_at=None,
            )
        elif record.checked_out_at is None:
            services.rules.validate_check_out(
                status=activity.status.value,
                window=services.window_for(activity),
                now=utcnow(),
                checked_in_at=record.checked_in_at,
                checked_out_at=None,
            )
    except CheckInError as error:
        return error.message
    return None


@bp.post("/c/<token>")
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def scan_submit(token: str):
    """Check in or out the phone's person (or the ticked people of its household); identify
    the phone first if this device is new."""
    form = ScanForm()
    valid = form.validate_on_submit()  # CSRF and shape first: no database yet
    activity, volunteer, _claims = _load(token, form.opened.data)
    if not valid:
        record = services.find_record(activity.id, volunteer.id) if volunteer else None
        return _render(
            activity,
            form,
            volunteer,
            record,
            status=400,
            notice=_("Please check the form and try again."),
        )
    if volunteer is None:
        problems = _form_problems(form)
        if set(problems) - {"pin"}:  # a PIN alone goes on: a new number's page lists all
            show_errors(form, problems, FIELD_OF_CODE)
            return _render(
                activity,
                form,
                None,
                None,
                status=400,
                notice=_("Please check the form and try again."),
            )
    now = utcnow()
    action = Action(form.action.data)
    try:
        who = identity.identify(
            known=volunteer,
            credentials=None if volunteer else _credentials(form),
            remember=True,
            user_agent=request.user_agent.string,
            now=now,
            consent_version=current_app.config["CONSENT_VERSION"],
            unit_id=activity.unit_id,
        )
        people = _chosen(who, form.people.data) if form.people.data else None
        early = _early_check_out(activity, who, people, action, form, now=now)
        if early is None and people is None and who.volunteer is not None:
            record = _record_identified(activity, who, action, now=now)
    except _AlreadyDone as done:
        # The phone proved who it is (PIN or one-time code) but an organizer had already
        # checked the person in (or out): the phone is remembered all the same.
        page = _render(
            activity,
            ScanForm(formdata=None),
            who.volunteer,
            done.record,
            notice=f"{done.error.message} {_('This phone now remembers you.')}",
        )
        response = current_app.make_response(page)
        set_device_cookie(response, who.new_device.key)
        return response
    except DomainError as error:
        record = services.find_record(activity.id, volunteer.id) if volunteer else None
        notice = error.message
        if volunteer is None and error.code in FIELD_OF_CODE:
            show_errors(form, error.problems or [error], FIELD_OF_CODE)
            notice = _("Please check the form and try again.")
        return _render(
            activity,
            form,
            volunteer,
            record,
            status=error.status,
            notice=notice,
            claim_sms=error.code == "no_pin" and sms.gateway() is not None,
        )
    if early is not None:
        # A check-out that would credit less than the first hours step: ask first.
        page = _render(
            activity,
            form,
            who.volunteer or people[0],
            early,
            confirm_checkout=early,
            people=[],
            chosen=[p.id for p in people or []],
        )
    elif who.volunteer is None and people is None:
        # A phone several people share signed in without saying who: ask.
        shown = live_members(who.household)[0]
        choose = ScanForm(formdata=None)
        choose.opened.data = form.opened.data  # the page's opening, not this moment
        page = _render(
            activity,
            choose,
            shown,
            services.find_record(activity.id, shown.id),
            notice=_("Several volunteers use this phone. Tick who is here."),
        )
    elif people is not None:
        outcomes = _record_each(activity, people, action, now=now)
        page = _render(
            activity,
            form,
            who.volunteer or people[0],
            None,
            success=_summary(action, outcomes),
            outcomes=outcomes,
        )
    else:
        success = (
            _("Check-in successful") if action == Action.CHECK_IN else _("Check-out successful")
        )
        if who.added:
            success += " · " + _("%(name)s was added to this phone.", name=who.volunteer.name)
        page = _render(
            activity,
            form,
            who.volunteer,
            record,
            success=success,
            closed_note=closed_elsewhere_note(record),
        )
    response = current_app.make_response(page)
    if who.new_device is not None:
        set_device_cookie(response, who.new_device.key)
    return response


class _AlreadyDone(Exception):
    """A new device identified its person, whose record needs no check-in (or out) now."""

    def __init__(self, error: CheckInError, record: CheckIn | None) -> None:
        super().__init__(error.code)
        self.error, self.record = error, record


def _record_identified(activity: Activity, who, action: Action, *, now) -> CheckIn:
    """Check the identified person in or out; on a newly identified device "already checked
    in / out" is no failure of the phone (_AlreadyDone), elsewhere it is the rule's refusal."""
    try:
        return checkin_flow.record(activity, who.volunteer, action, now=now)
    except CheckInError as error:
        if who.new_device is None or error.code not in (
            "already_checked_in",
            "already_checked_out",
        ):
            raise
        record = getattr(error, "record", None)
        raise _AlreadyDone(
            error, record or services.find_record(activity.id, who.volunteer.id)
        ) from None


def _form_problems(form: ScanForm) -> dict:
    """Every shape problem of a new device's form at once (rules.compute_form_problems)."""
    return compute_form_problems(
        phone=form.phone.data or "",
        pin=form.pin.data or "",
        name=form.name.data or "",
        consent=bool(form.consent.data),
        new_person=False,
    )


def _early_check_out(
    activity: Activity, who, people: list[Volunteer] | None, action: Action, form, *, now
) -> CheckIn | None:
    """The open record of the person (or the first of the ticked people) whose check-out
    now would credit less than the first hours step, unless the form confirms it; else None."""
    if action != Action.CHECK_OUT or form.confirmed.data == "1":
        return None
    ids = [p.id for p in people] if people else ([who.volunteer.id] if who.volunteer else [])
    records = services.records_of(activity.id, ids)
    for volunteer_id in ids:
        record = records.get(volunteer_id)
        if (
            record is not None
            and record.checked_out_at is None
            and is_early_check_out(record.checked_in_at, now, activity.starts_at, activity.ends_at)
        ):
            return record
    return None


def _credentials(form: ScanForm) -> Credentials:
    return Credentials(
        phone=form.phone.data or "",
        pin=form.pin.data or "",
        name=form.name.data or "",
        consent=bool(form.consent.data),
        minor=bool(form.minor.data),
    )


def _chosen(who, ids: list[int]) -> list[Volunteer]:
    """The ticked people, who must all belong to the phone's household."""
    members = {m.id: m for m in live_members(who.household)}
    if not ids or any(i not in members for i in ids):
        raise CheckInError("not_on_this_phone", status=400)
    return [members[i] for i in dict.fromkeys(ids)]


def _record_each(activity: Activity, people: list[Volunteer], action: Action, *, now) -> list:
    """Check each ticked person in or out; one refusal does not stop the others."""
    outcomes = []
    for person in people:
        try:
            record = checkin_flow.record(activity, person, action, now=now)
        except CheckInError as error:
            outcomes.append(Outcome(person, None, error.message, ok=False))
        else:
            outcomes.append(Outcome(person, record, closed_elsewhere_note(record), ok=True))
    return outcomes


def _summary(action: Action, outcomes: list[Outcome]) -> str:
    done = sum(1 for o in outcomes if o.ok)
    if action == Action.CHECK_IN:
        return ngettext("%(num)d checked in", "%(num)d checked in", done)
    return ngettext("%(num)d checked out", "%(num)d checked out", done)


#: Where the correction form shows a refusal.
CORRECTION_FIELDS = {
    "reason_required": "reason",
    "reason_too_long": "reason",
    "times_invalid": "proposed_out",
}


@bp.route("/me/records/<int:checkin_id>/correction", methods=["GET", "POST"])
@volunteer_required
def correction_new(checkin_id: int):
    """Ask the station to correct one of my records (missing check-out, wrong hours)."""
    record = own_record_or_404(g.volunteer, checkin_id)
    form = CorrectionRequestForm()
    if request.method == "GET":
        form.proposed_in.data = record.checked_in_at
        form.proposed_out.data = record.checked_out_at
    if form.validate_on_submit():
        try:
            corrections.request_correction(
                g.volunteer,
                record,
                proposed_in_at=form.proposed_in.data,
                proposed_out_at=form.proposed_out.data,
                reason=form.reason.data,
                now=utcnow(),
            )
        except DomainError as error:
            show_errors(form, [error], CORRECTION_FIELDS)
            return render_template(
                "checkins/correction_new.html", form=form, record=record
            ), error.status
        flash(_("Your request has been sent to the station."), "success")
        return redirect(url_for("volunteers.me") + "#corrections")
    status = 400 if request.method == "POST" else 200
    return render_template("checkins/correction_new.html", form=form, record=record), status
