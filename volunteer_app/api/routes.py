"""API v1 endpoints: thin wrappers over the same services the pages use."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.api import bp, queries
from volunteer_app.api.openapi import build_document
from volunteer_app.api.schemas import (
    ActivityOut,
    CheckInOut,
    CheckInResult,
    ClosedElsewhere,
    Page,
    VolunteerRef,
)
from volunteer_app.auth import scoping
from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.checkins import organizer
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.notes import closed_elsewhere
from volunteer_app.checkins.rules import Action, CheckInError
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.formatting import mask_phone
from volunteer_app.localtime import local_to_utc
from volunteer_app.params import ID_MAX, parse_date, parse_int
from volunteer_app.transactions import begin_writing, reads_first
from volunteer_app.volunteers import identity
from volunteer_app.volunteers import services as volunteers
from volunteer_app.volunteers.cards import card_holder, verify_card
from volunteer_app.volunteers.models import Volunteer
from volunteer_app.volunteers.rules import normalize_name, normalize_phone


class ApiRequestError(DomainError):
    """The request's parameters or body are not acceptable."""

    status = 400
    messages = {
        "invalid_json": _l("The request body must be a JSON object."),
        "invalid_parameter": _l("A query parameter has an invalid value."),
        "invalid_body": _l("The request body is not valid."),
        "volunteer_not_found": _l("No volunteer with this card."),
        "name_required": _l("This number is not registered yet: give the volunteer's name too."),
        "consent_required": _l(
            "This number is not registered yet: confirm that the volunteer agrees that the "
            'station keeps their name, number and record ("consent": true).'
        ),
    }


def _query_int(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw, low, high)
    if value is None:
        raise ApiRequestError("invalid_parameter")
    return value


def _query_date(name: str) -> date | None:
    """An ISO date (YYYY-MM-DD) within the years of params.YEARS; anything else is a 400."""
    raw = request.args.get(name)
    if not raw:
        return None
    value = parse_date(raw)
    if value is None:
        raise ApiRequestError("invalid_parameter")
    return value


def _paging() -> queries.PageRequest:
    return queries.PageRequest(
        page=_query_int("page", 1, 1, 1_000_000), per_page=_query_int("per_page", 50, 1, 200)
    )


class InvalidBody(ApiRequestError):
    """The body is JSON but does not fit the operation's schema; names the fields at fault."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__("invalid_body", status=422)
        self.fields = fields

    @property
    def message(self) -> str:
        """The general message, then which fields to check (names as in the schema)."""
        if not self.fields:
            return super().message
        return _("The request body is not valid. Check: %(fields)s", fields=", ".join(self.fields))


def _body(model: type[BaseModel]) -> BaseModel:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiRequestError("invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = {".".join(str(part) for part in e["loc"]) for e in error.errors() if e["loc"]}
        raise InvalidBody(sorted(fields)[:10]) from None


def _activity_out(activity: Activity, checked_in: int) -> dict:
    return ActivityOut(
        id=activity.id,
        title=activity.title,
        station_id=activity.unit_id,
        station=activity.unit.name,
        category=activity.category.code,
        place=activity.place,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        capacity=activity.capacity,
        status=activity.status.value,
        checked_in=checked_in,
    ).model_dump(mode="json")


def _record_out(record: CheckIn, volunteer: Volunteer, model=CheckInOut, **extra) -> dict:
    return model(
        id=record.id,
        volunteer_id=volunteer.id,
        name=volunteer.name,
        phone=mask_phone(volunteer.phone),
        checked_in_at=record.checked_in_at,
        checked_out_at=record.checked_out_at,
        minutes=record.minutes,
        hours=record.minutes / 60,
        origin=record.origin.value,
        status=record.status.value,
        **extra,
    ).model_dump(mode="json")


def closed_elsewhere_out(record: CheckIn) -> list[ClosedElsewhere]:
    """The records a check-in closed at other activities, as the API gives them."""
    return [
        ClosedElsewhere(
            id=other.id,
            activity_id=other.activity_id,
            activity=other.activity.title,
            checked_out_at=other.checked_out_at,
            minutes=other.minutes,
        )
        for other in closed_elsewhere(record)
    ]


def _page(items: list, total: int, paging: queries.PageRequest) -> dict:
    return Page[dict](
        items=items, total=total, page=paging.page, per_page=paging.per_page
    ).model_dump(mode="json")


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(build_document(current_app.url_map))


@bp.get("/activities")
def list_activities():
    """Activities the caller may see, newest first; filter by station, status and dates."""
    paging = _paging()
    status_raw = request.args.get("status")
    if status_raw and status_raw not in {s.value for s in ActivityStatus}:
        raise ApiRequestError("invalid_parameter")
    date_from, date_to = _query_date("date_from"), _query_date("date_to")
    rows, total = queries.activities(
        g.api_user,
        paging,
        station_id=_query_int("station_id", None, 1, ID_MAX),
        status=ActivityStatus(status_raw) if status_raw else None,
        starts_from=local_to_utc(datetime.combine(date_from, time.min)) if date_from else None,
        starts_before=(local_to_utc(datetime.combine(date_to, time.max)) if date_to else None),
    )
    return jsonify(_page([_activity_out(a, n) for a, n in rows], total, paging))


@bp.get("/activities/<int:activity_id>")
def get_activity(activity_id: int):
    """One activity."""
    activity = activity_or_404(g.api_user, activity_id)
    return jsonify(_activity_out(activity, queries.record_count(activity.id)))


@bp.get("/activities/<int:activity_id>/checkins")
def list_checkins(activity_id: int):
    """An activity's attendance, in arrival order."""
    activity = activity_or_404(g.api_user, activity_id)
    paging = _paging()
    rows, total = queries.checkins(activity.id, paging)
    return jsonify(_page([_record_out(r, r.volunteer) for r in rows], total, paging))


def _volunteer_for(ref: VolunteerRef, activity: Activity, *, now: datetime) -> Volunteer:
    """Find the volunteer by card or phone among those the caller may record at
    ``activity`` (``scoping.volunteer_may_be_recorded``); register a walk-in for a new
    number with a name and the organizer's attestation of the person's consent.

    Anyone else is answered as an unknown card or number is: ``volunteer_not_found`` for a
    card; for a number ``name_required`` / ``consent_required``, and, as the desk's walk-in
    form answers a number that is already registered, ``number_taken`` (never whose it is).
    One query finds the card's or the number's people with the scope folded in.
    """
    mine = scoping.volunteer_may_be_recorded(g.api_user, activity)
    if ref.card is not None:
        volunteer = card_holder(verify_card(current_app.config["SECRET_KEY"], ref.card), mine)
        if volunteer is None:
            raise ApiRequestError("volunteer_not_found", status=404)
        return volunteer
    phone = normalize_phone(ref.phone or "")
    members = volunteers.members_by_phone_marked(phone, mine)
    theirs = [member for member, ok in members if ok]
    if not ref.name:
        if len(theirs) == 1:
            return theirs[0]
        raise ApiRequestError("name_required", status=422)  # none of theirs, or whom of several
    name = normalize_name(ref.name)
    wanted = name.casefold()
    named = next((m for m in theirs if m.name.casefold() == wanted), None)
    if named is not None:
        return named
    if not ref.consent:
        raise ApiRequestError("consent_required", status=422)
    if members:
        # Someone else's number, or a new name on one of theirs: the desk's rules (the
        # number's own PIN, else "number_taken", never whose it is).
        volunteer, _added = organizer.known_number_walk_in(
            activity, g.api_user, members[0][0].household, name=name, pin=ref.pin, now=now
        )
        return volunteer
    begin_writing()  # registering writes
    return organizer.register_new_walk_in(activity, g.api_user, name=name, phone=phone, now=now)


def _activity_and_volunteer(activity_id: int) -> tuple[Activity, Volunteer, datetime]:
    """What a check-in or check-out by an organizer reads: the activity in scope, the
    volunteer the body names (a walk-in is registered) and the time; then the reading
    ends, so that on SQLite only the write holds the write lock."""
    activity = activity_or_404(g.api_user, activity_id)
    ref = _body(VolunteerRef)
    now = utcnow()
    volunteer = _volunteer_for(ref, activity, now=now)
    begin_writing()
    return activity, volunteer, now


@bp.post("/activities/<int:activity_id>/checkins")
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def create_checkin(activity_id: int):
    """Check a volunteer in on the organizer's behalf (audited, as on the desk page); a repeat
    answers 200 with ``already`` and writes nothing."""
    activity, volunteer, now = _activity_and_volunteer(activity_id)
    try:
        record = organizer.record_for(activity, g.api_user, volunteer, Action.CHECK_IN, now=now)
    except CheckInError as error:
        if error.code != "already_checked_in":
            raise
        # Nothing was written but a walk-in registered just now, which is kept.
        record = getattr(error, "record", None) or checkins.find_record(activity.id, volunteer.id)
        return jsonify(_record_out(record, volunteer, CheckInResult, already=True)), 200
    closed = closed_elsewhere_out(record)
    return jsonify(
        _record_out(record, volunteer, CheckInResult, already=False, closed_elsewhere=closed)
    ), 201


@bp.post("/activities/<int:activity_id>/checkouts")
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def create_checkout(activity_id: int):
    """Check a volunteer out on the organizer's behalf and credit the hours (the organizer's,
    audited); a repeat answers 200 with ``already`` and writes nothing."""
    activity, volunteer, now = _activity_and_volunteer(activity_id)
    try:
        record = organizer.record_for(activity, g.api_user, volunteer, Action.CHECK_OUT, now=now)
    except CheckInError as error:
        if error.code != "already_checked_out":
            raise
        record = checkins.find_record(activity.id, volunteer.id)
        return jsonify(_record_out(record, record.volunteer, CheckInResult, already=True)), 200
    return jsonify(_record_out(record, volunteer, CheckInResult, already=False)), 200
